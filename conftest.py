"""Settings for the whole pytest run (tests and doctests in ``skae/``).

Loaded before anything imports scipy, which reads ``SCIPY_ARRAY_API`` once at import:
scikit-learn's ``check_array_api_input`` (the only common check that calls
``inverse_transform``) runs only with it set.
"""

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")

import torch  # noqa: E402

# One torch thread: on the 2 shared cores of CI, two OpenMP threads under contention were up
# to 9x slower than one.
torch.set_num_threads(1)
