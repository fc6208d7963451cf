"""What a Ctrl-C (``KeyboardInterrupt``) during training does.

An interrupt after at least one complete epoch of a fit call ends that fit early, with the
weights of the last complete epoch and a warning (see :func:`skae._engine.fit_loop`). An
interrupt before any epoch of the call completed leaves nothing to keep: it is raised, and the
fit's transaction puts the estimator back as it was (a fresh one stays unfitted).

A fit made inside another (the one-layer autoencoders of greedy pre-training) raises every
interrupt instead, inside :func:`interrupts_end_enclosing_fit`: the user pressed Ctrl-C to stop
the whole fit, not one level of it.
"""

from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["interrupt_is_raised", "interrupts_end_enclosing_fit"]

_NESTED = ContextVar("skae_nested_fit", default=False)


@contextmanager
def interrupts_end_enclosing_fit():
    """Inside this block, a ``KeyboardInterrupt`` in any epoch of a fit is raised, so that it
    reaches (and ends) the fit that encloses it."""
    token = _NESTED.set(True)
    try:
        yield
    finally:
        _NESTED.reset(token)


def interrupt_is_raised(completed_epochs):
    """Whether an interrupt after ``completed_epochs`` complete epochs of this fit call is
    raised (True) or ends training with the last complete epoch's weights (False)."""
    return completed_epochs == 0 or _NESTED.get()
