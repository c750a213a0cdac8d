"""The entry points DVC runs (`python -m stages.<name>`), one per pipeline stage.

Python imports this package before the stage's own imports, so importing
attention_ts here pins torch's CPU code paths before anything loads torch.
"""

import attention_ts  # noqa: F401  (pins the numerics on import)
