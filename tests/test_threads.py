"""skae.utils.limit_threads: torch's and BLAS's thread counts, set and put back."""

import pytest
import torch
from threadpoolctl import threadpool_info

from skae.utils import limit_threads


def _blas_threads():
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


@pytest.fixture
def two_threads():
    """torch at 2 threads for the test (the root conftest runs the suite at 1)."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_context_manager_limits_then_restores(two_threads):
    blas_before = _blas_threads()
    with limit_threads(1) as limits:
        assert torch.get_num_threads() == 1
        assert all(n == 1 for n in _blas_threads())
        assert callable(limits.restore)
    assert torch.get_num_threads() == 2
    assert _blas_threads() == blas_before


def test_plain_call_keeps_the_limit_until_restore(two_threads):
    limits = limit_threads(1)
    assert torch.get_num_threads() == 1
    limits.restore()
    assert torch.get_num_threads() == 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "1", None])
def test_bad_thread_counts(bad, two_threads):
    with pytest.raises(ValueError, match="n_threads must be a positive integer"):
        limit_threads(bad)
    assert torch.get_num_threads() == 2  # nothing was changed
