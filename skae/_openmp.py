"""Passive OpenMP waiting, chosen before torch is imported.

torch's CPU kernels run on OpenMP threads (GNU libgomp in the Linux wheels). Between parallel
regions a waiting thread spins, by default, before it sleeps. Where the cores are shared with
other work, it spins while the thread it waits for is not even running: on 2 busy cores a
digits-sized fit with 2 threads was 25 to 70 times slower than with one. With
``OMP_WAIT_POLICY=PASSIVE`` the waiting threads sleep at once, and the same fit took the time
of a one-thread fit.

libgomp reads the variable once, when it is loaded, i.e. at ``import torch``: set in
``os.environ`` after that, it has no effect (measured with torch 2.13: 6.1 and 7.9 s against
0.30 and 0.32 s set before). So this module runs first in ``import skae`` and sets it only
where torch is not imported yet and the user has not set it. Child processes (joblib's
workers) inherit it.
"""

import os
import sys

__all__ = ["PASSIVE_WAIT", "WAIT_POLICY_SET_BY_SKAE"]


def _set_passive_wait_policy():
    if "torch" in sys.modules or "OMP_WAIT_POLICY" in os.environ:
        return False
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return True


#: Whether ``import skae`` set ``OMP_WAIT_POLICY=PASSIVE`` (torch was not imported yet and the
#: variable was not set).
WAIT_POLICY_SET_BY_SKAE = _set_passive_wait_policy()

#: Whether torch's OpenMP threads sleep while they wait: the variable said so when skae was
#: imported (where torch was imported earlier, the variable is assumed to have been the same
#: at torch's import; a value set in between is not seen).
PASSIVE_WAIT = os.environ.get("OMP_WAIT_POLICY", "").strip().upper() == "PASSIVE"
