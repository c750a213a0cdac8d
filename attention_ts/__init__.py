"""Attention on time series, reproducibly: the logic the DVC stages in stages/ share.

Importing the package pins the CPU code paths of torch's numeric libraries
(see `attention_ts.core.numerics`), so it must come before `import torch`.
"""

from attention_ts.core import numerics

numerics.pin()
