"""Benchmarks behind the README's timings (`python -m benchmarks.<name>`).

Importing attention_ts first pins torch's CPU code paths, as in the stages.
"""

import attention_ts  # noqa: F401  (pins the numerics on import)
