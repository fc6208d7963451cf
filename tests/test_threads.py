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


# -- the thread count each fit chooses ---------------------------------------------------------

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
from joblib import Parallel, delayed  # noqa: E402

from skae import Autoencoder  # noqa: E402
from skae.utils import _threads  # noqa: E402

X = np.random.default_rng(0).random((60, 8)).astype(np.float32)


class _Recording(Autoencoder):
    """Records torch's thread count at the end of every epoch; ``fail`` raises there. (The
    cosine schedule plans its 2 epochs: no ConvergenceWarning, in any thread.)"""

    def __init__(self, n_components=2, *, max_iter=2, learning_rate="cosine", random_state=0,
                 fail=False):
        super().__init__(n_components, max_iter=max_iter, learning_rate=learning_rate,
                         random_state=random_state)
        self.fail = fail

    def _on_epoch_end(self, module, ctx, logs):
        self.seen_ = [*getattr(self, "seen_", []), torch.get_num_threads()]
        if self.fail:
            raise RuntimeError("failing on purpose")
        return False


def _recorded(**params):
    return _Recording(**params).fit(X).seen_


@pytest.fixture
def untouched(monkeypatch):
    """A process in which the user set no thread count: torch at its default of 4 threads
    (the count at skae's import and the inter-op pool's size), no environment variable;
    waiting threads sleep; 2 usable cores; every network big enough for 2 threads."""
    before = torch.get_num_threads()
    torch.set_num_threads(4)
    monkeypatch.setattr(_threads, "_IMPORT_COUNT", 4)
    monkeypatch.setattr(_threads, "_TORCH_DEFAULT", 4)
    monkeypatch.setattr(_threads, "_ENV_SETTING", False)
    monkeypatch.setattr(_threads, "PASSIVE_WAIT", True)
    monkeypatch.setattr(_threads, "_usable_cores", lambda: 2)
    monkeypatch.setattr(_threads, "WORK_PER_THREAD", 1)
    yield
    torch.set_num_threads(before)


def test_fit_runs_on_the_chosen_count_and_restores_the_callers(untouched):
    assert _threads.user_thread_setting() is None
    assert _recorded() == [2, 2]
    assert torch.get_num_threads() == 4


def test_failing_fit_restores_the_callers_count(untouched):
    ae = _Recording(fail=True)
    with pytest.raises(RuntimeError, match="failing on purpose"):
        ae.fit(X)
    assert torch.get_num_threads() == 4
    assert not hasattr(ae, "module_")


def test_prediction_runs_on_the_chosen_count_and_restores(untouched):
    ae = Autoencoder(2, max_iter=1, learning_rate="cosine", random_state=0).fit(X)
    seen = []
    encode = ae.module_.encode
    ae.module_.encode = lambda x: (seen.append(torch.get_num_threads()), encode(x))[1]
    ae.transform(X)
    assert seen and set(seen) == {2}
    assert torch.get_num_threads() == 4


def test_small_network_gets_one_thread(untouched, monkeypatch):
    monkeypatch.setattr(_threads, "WORK_PER_THREAD", 2**22)
    # 60 rows x (8*2 + 2 + 2*8 + 8 parameters) multiply-adds: far below one thread's share.
    assert _recorded() == [1, 1]
    assert torch.get_num_threads() == 4


@pytest.mark.parametrize("how", ["torch.set_num_threads", "limit_threads", "OMP_NUM_THREADS",
                                 "torch.set_num_threads before import skae"])
def test_a_users_count_is_left_alone(untouched, monkeypatch, how):
    if how == "torch.set_num_threads":
        torch.set_num_threads(3)
    elif how == "OMP_NUM_THREADS":
        monkeypatch.setattr(_threads, "_ENV_SETTING", True)
    elif how == "torch.set_num_threads before import skae":
        monkeypatch.setattr(_threads, "_TORCH_DEFAULT", 8)  # torch's own default was 8
    expected = torch.get_num_threads()
    if how == "limit_threads":
        with limit_threads(4):  # the count torch has anyway: still the user's choice
            assert _threads.user_thread_setting() == how
            assert _recorded() == [4, 4]
        assert _threads.user_thread_setting() is None  # restored: no longer in force
        return
    assert _threads.user_thread_setting() == how
    assert _recorded() == [expected, expected]
    assert torch.get_num_threads() == expected


def test_joblib_workers_fit_on_one_thread(untouched):
    # The threading backend runs the fits in this process, where the test's settings hold.
    seen = Parallel(n_jobs=2, backend="threading")(delayed(_recorded)() for _ in range(2))
    assert seen == [[1, 1], [1, 1]]
    # A sequential call is no worker: the chosen count.
    assert Parallel(n_jobs=1)(delayed(_recorded)() for _ in range(1)) == [[2, 2]]
    assert torch.get_num_threads() == 4


def test_a_fit_inside_a_fit_keeps_the_outer_count(untouched):
    with _threads.chosen_threads(10**9) as outer:
        assert outer == 2
        torch.set_num_threads(3)  # as a user's callback might
        with _threads.chosen_threads(1) as inner:
            assert inner is None and torch.get_num_threads() == 3
    assert torch.get_num_threads() == 4


def test_spinning_threads_take_only_the_free_cores(untouched, monkeypatch):
    monkeypatch.setattr(_threads, "PASSIVE_WAIT", False)
    for others, expected in [(0.0, 2), (0.2, 2), (0.7, 1), (1.0, 1), (2.0, 1)]:
        monkeypatch.setattr(_threads._monitor, "others_busy", lambda others=others: others)
        assert _threads.choose_threads(10**9) == expected
    monkeypatch.setattr(_threads, "PASSIVE_WAIT", True)  # sleeping threads: all the cores
    assert _threads.choose_threads(10**9) == 2
    assert _threads.choose_threads(10**9, in_worker=True) == 1


def test_core_monitor_subtracts_this_process(monkeypatch):
    clock, own, machine = [100.0], [5.0], [50.0]
    monkeypatch.setattr(_threads.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(_threads, "_own_cpu_seconds", lambda: own[0])
    monkeypatch.setattr(_threads, "_machine_busy_seconds", lambda: machine[0])
    monitor = _threads._CoreMonitor()
    clock[0] += 2.0
    own[0] += 1.0       # this process used half a core
    machine[0] += 3.0   # the machine 1.5 cores: others used 1
    assert monitor.others_busy() == pytest.approx(1.0)
    clock[0] += 0.01    # too short a window: the last estimate
    machine[0] += 0.02
    assert monitor.others_busy() == pytest.approx(1.0)
    monkeypatch.setattr(_threads, "_machine_busy_seconds", lambda: None)  # not Linux
    monkeypatch.setattr(_threads.os, "getloadavg", lambda: (2.5, 0.0, 0.0))
    clock[0] += 1.0
    own[0] += 1.0       # over the 1.01 s since the last window that counted
    assert monitor.others_busy() == pytest.approx(2.5 - 1.0 / 1.01)


def test_passive_waiting_is_set_only_before_torch_and_only_if_unset(monkeypatch):
    from skae import _openmp

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    assert _openmp._set_passive_wait_policy() is False  # torch is imported: too late
    assert "OMP_WAIT_POLICY" not in os.environ
    monkeypatch.delitem(sys.modules, "torch")
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    assert _openmp._set_passive_wait_policy() is False  # the user's choice
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"
    monkeypatch.delenv("OMP_WAIT_POLICY")
    assert _openmp._set_passive_wait_policy() is True
    assert os.environ["OMP_WAIT_POLICY"] == "PASSIVE"


def test_import_skae_first_sets_passive_waiting_and_leaves_the_count_to_fits():
    # A new interpreter in which nothing was set (the suite's own runs at 1 thread).
    env = {k: v for k, v in os.environ.items()
           if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY")}
    probe = ("import os, skae; from skae.utils._threads import user_thread_setting; "
             "print(os.environ.get('OMP_WAIT_POLICY'), user_thread_setting())")
    out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True,
                         text=True, check=True)
    assert out.stdout.split()[-2:] == ["PASSIVE", "None"]
