"""Every private torch name skae uses, feature-detected here and nowhere else.

torch's private names (a leading underscore, ``torch.ops.aten``) change between releases
without deprecation. Each one is looked up once, at import, into a module constant (None, or
False for the hook flags, when the running torch lacks it), and each use has a public
fallback that computes the same result:

- the Adam step (:func:`optimizer_step`): torch's fused Adam kernel called directly, without
  ``Optimizer.step``'s per-call bookkeeping; fallback ``optimizer.step()`` itself, which runs
  the same fused kernel (``torch.optim.Adam(fused=True)``);
- the backward of an activation from its output (:func:`activation_backward_table`): ATen's
  kernels; fallback the formulas written with public operators;
- whether hooks are registered on a module, its parameters or all modules
  (:func:`may_have_hooks`): torch's hook dictionaries; fallback "hooks may exist", so the
  caller trains through autograd, which runs them;
- allowing classes in ``torch.load(weights_only=True)`` for one call (:func:`safe_globals`):
  ``torch.serialization.safe_globals`` (public, torch >= 2.5); fallback the public
  ``add_safe_globals`` / ``get_safe_globals`` / ``clear_safe_globals`` (torch >= 2.4), with the
  process-wide list restored afterwards.

The suite runs every fallback (tests/test_torch_compat.py) by setting these constants to
None, and checks that fits give the fast path's results.
"""

from contextlib import contextmanager
from operator import itemgetter

import torch
from torch import nn
from torch.nn.modules import module as _torch_module
from torch.optim import adam as _torch_adam
from torch.optim import optimizer as _torch_optimizer

__all__ = [
    "ADAM_FUNCTIONAL",
    "ATEN",
    "FOREACH_ADD",
    "FUSED_ADAM_KERNEL",
    "HOOKS_VISIBLE",
    "OPTIMIZER_HOOKS_VISIBLE",
    "PUBLIC_BACKWARD",
    "SAFE_GLOBALS_CONTEXT",
    "activation_backward_table",
    "may_have_hooks",
    "optimizer_step",
    "safe_globals",
]

# -- the Adam step ---------------------------------------------------------------------------

#: torch's fused Adam kernel, what ``torch.optim.Adam(fused=True)`` runs on CPU tensors.
FUSED_ADAM_KERNEL = getattr(torch, "_fused_adam_", None)
#: In-place ``+=`` on a list of tensors (the step counts the fused kernel reads).
FOREACH_ADD = getattr(torch, "_foreach_add_", None)
#: ``torch.optim.adam.adam``, Adam's functional form (undocumented; used off the CPU).
ADAM_FUNCTIONAL = getattr(_torch_adam, "adam", None)

_OPTIMIZER_HOOKS = ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks")
# Dictionaries that torch fills and empties in place (never rebinds).
_GLOBAL_PRE_HOOKS = getattr(_torch_optimizer, "_global_optimizer_pre_hooks", None)
_GLOBAL_POST_HOOKS = getattr(_torch_optimizer, "_global_optimizer_post_hooks", None)


_PROBE = torch.optim.Adam([nn.Parameter(torch.zeros(1))])

#: Whether optimizer step hooks can be seen (else every step goes through ``step()``).
OPTIMIZER_HOOKS_VISIBLE = (
    isinstance(_GLOBAL_PRE_HOOKS, dict) and isinstance(_GLOBAL_POST_HOOKS, dict)
    and all(isinstance(getattr(_PROBE, name, None), dict) for name in _OPTIMIZER_HOOKS))

# Adam's options and the only values the shortcut computes. A group with an option not
# listed (one a later torch release adds) goes through ``step()``, so nothing new is skipped;
# an option this release lacks is not read. "foreach" is moot once "fused" is set; "lr_scale"
# is skae's (see skae._engine.make_adam); "initial_lr" is written by torch's schedulers.
_ADAM_OPTIONS = frozenset(_PROBE.param_groups[0])
del _PROBE
_ADAM_FIXED_OPTIONS = {k: v for k, v in {
    "amsgrad": False, "maximize": False, "capturable": False, "differentiable": False,
    "decoupled_weight_decay": False, "fused": True}.items() if k in _ADAM_OPTIONS or k == "fused"}
_ADAM_KNOWN_OPTIONS = frozenset({*_ADAM_FIXED_OPTIONS, "params", "lr", "betas", "eps",
                                 "weight_decay", "foreach", "lr_scale", "initial_lr"})
_fixed_options = itemgetter(*_ADAM_FIXED_OPTIONS)
_FIXED_VALUES = tuple(_ADAM_FIXED_OPTIONS.values())
_number_options = itemgetter("lr", "eps", "weight_decay", "betas")


def _is_number(value):
    # Python and numpy floats (a schedule may set either); a tensor lr goes through step().
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shortcut_options(group):
    """Whether the shortcut computes what ``step()`` would for this group's options."""
    try:
        fixed = _fixed_options(group)
        lr, eps, weight_decay, (beta1, beta2) = _number_options(group)
    except (KeyError, TypeError, ValueError):
        return False
    return (fixed == _FIXED_VALUES and _ADAM_KNOWN_OPTIONS.issuperset(group)
            and (type(lr) is type(eps) is type(weight_decay) is type(beta1) is type(beta2)
                 is float or all(map(_is_number, (lr, eps, weight_decay, beta1, beta2)))))


def _adam_shortcut(opt):
    """The update of ``opt.step()`` for a fused ``torch.optim.Adam``, done here; False (and
    nothing done) where this function cannot do exactly what ``step()`` would."""
    if (type(opt) is not torch.optim.Adam or not OPTIMIZER_HOOKS_VISIBLE
            or _GLOBAL_PRE_HOOKS or _GLOBAL_POST_HOOKS
            or opt._optimizer_step_pre_hooks or opt._optimizer_step_post_hooks):
        return False
    fused, foreach_add, functional = FUSED_ADAM_KERNEL, FOREACH_ADD, ADAM_FUNCTIONAL
    updates = []
    for group in opt.param_groups:
        if not _shortcut_options(group):
            return False
        params, grads, exp_avgs, exp_avg_sqs, steps = [], [], [], [], []
        for p in group["params"]:
            if p.grad is None:
                continue
            state = opt.state.get(p)
            if not state or p.grad.is_sparse or p.is_complex():
                return False  # the first step creates the state
            params.append(p)
            grads.append(p.grad)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            steps.append(state["step"])
        if params:
            if len({p.dtype for p in params}) > 1 or len({p.device for p in params}) > 1:
                return False
            on_cpu = params[0].device.type == "cpu" and fused is not None
            if not (on_cpu and foreach_add is not None) and functional is None:
                return False
            updates.append((group, on_cpu, params, grads, exp_avgs, exp_avg_sqs, steps))
    with torch.no_grad():
        for group, on_cpu, params, grads, exp_avgs, exp_avg_sqs, steps in updates:
            beta1, beta2 = group["betas"]
            kwargs = dict(amsgrad=False, beta1=beta1, beta2=beta2, lr=group["lr"],
                          weight_decay=group["weight_decay"], eps=group["eps"], maximize=False)
            if on_cpu and foreach_add is not None:
                # What the functional form runs on CPU tensors of one dtype, without its
                # dispatch (another ~20 us a step).
                foreach_add(steps, 1)
                fused(params, grads, exp_avgs, exp_avg_sqs, [], steps, **kwargs)
            else:
                functional(params, grads, exp_avgs, exp_avg_sqs, [], steps, fused=True,
                           **kwargs)
    return True


def optimizer_step(opt):
    """``opt.step()``; for a fused ``torch.optim.Adam``, the same update without
    ``Optimizer.step``'s per-call bookkeeping (profiler range, hook dispatch, state lookup,
    grad-mode switch), which cost about as much as the whole update of a 64-32-64 network.

    Anything else goes through ``opt.step()``: another optimizer, an option or value the
    shortcut does not handle, registered step hooks, a first step that must create the state,
    or a torch release without the private names the shortcut calls.
    """
    if not _adam_shortcut(opt):
        opt.step()


# -- the backward of an activation, from its output ------------------------------------------

def _detect_aten():
    aten = getattr(getattr(torch, "ops", None), "aten", None)
    try:
        kernels = (aten.threshold_backward, aten.sigmoid_backward, aten.tanh_backward)
    except (AttributeError, RuntimeError):
        return None
    return aten if all(callable(k) for k in kernels) else None


#: ``torch.ops.aten`` where it has the activations' backward kernels, else None.
ATEN = _detect_aten()

#: ``backward(g, y)``: the gradient at an activation's input, given the upstream gradient
#: ``g`` and the activation's output ``y``: relu' = [y > 0], sigmoid' = y (1 - y),
#: tanh' = 1 - y^2. Written with public operators (several passes over the data each).
PUBLIC_BACKWARD = {
    "identity": lambda g, y: g,
    "relu": lambda g, y: g.masked_fill(y <= 0, 0.0),
    "sigmoid": lambda g, y: g * (1 - y) * y,
    "tanh": lambda g, y: g * (1 - y * y),
}


def _aten_backward(aten):
    # The kernels behind autograd's own backward of each activation, one pass each (the
    # formulas above took up to 7x the time at 256 x 32).
    return {
        "identity": lambda g, y: g,
        "relu": lambda g, y: aten.threshold_backward(g, y, 0),
        "sigmoid": aten.sigmoid_backward,
        "tanh": aten.tanh_backward,
    }


_FAST_BACKWARD = None if ATEN is None else _aten_backward(ATEN)


def activation_backward_table():
    """``{activation name: backward(g, y)}`` (see :data:`PUBLIC_BACKWARD`), with ATen's
    kernels where they were found."""
    return PUBLIC_BACKWARD if ATEN is None or _FAST_BACKWARD is None else _FAST_BACKWARD


# -- hooks -----------------------------------------------------------------------------------

_MODULE_HOOKS = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks",
                 "_backward_pre_hooks")
_GLOBAL_MODULE_HOOKS = ("_global_forward_hooks", "_global_forward_pre_hooks",
                        "_global_backward_hooks", "_global_backward_pre_hooks")
_TENSOR_HOOKS = ("_backward_hooks", "_post_accumulate_grad_hooks")


def _hooks_visible():
    probe = nn.Linear(1, 1)
    return (all(isinstance(getattr(probe, name, None), dict) for name in _MODULE_HOOKS)
            and all(isinstance(getattr(_torch_module, name, None), dict)
                    for name in _GLOBAL_MODULE_HOOKS)
            and all(hasattr(probe.weight, name) for name in _TENSOR_HOOKS))


#: Whether the hooks registered on modules and tensors can be seen.
HOOKS_VISIBLE = _hooks_visible()


def may_have_hooks(module, modules=None, parameters=None):
    """Whether a hook may run in ``module``'s forward or backward pass: one registered on it,
    on a submodule, on one of its parameters, or on every module. True where this torch
    release does not let that be seen (there is no public getter), so that the caller trains
    through autograd, which runs the hooks. ``modules`` and ``parameters`` are
    ``list(module.modules())`` and ``list(module.parameters())`` where the caller has them."""
    if not HOOKS_VISIBLE:
        return True
    for name in _GLOBAL_MODULE_HOOKS:
        if getattr(_torch_module, name, True):
            return True
    for m in module.modules() if modules is None else modules:
        for name in _MODULE_HOOKS:
            if getattr(m, name, True):
                return True
    for p in module.parameters() if parameters is None else parameters:
        for name in _TENSOR_HOOKS:
            if getattr(p, name, True):
                return True
    return False


# -- weights-only loading --------------------------------------------------------------------

#: ``torch.serialization.safe_globals`` (a context manager, torch >= 2.5), else None.
SAFE_GLOBALS_CONTEXT = getattr(torch.serialization, "safe_globals", None)


@contextmanager
def _scoped_safe_globals(classes):
    """``safe_globals`` from the public process-wide API of torch 2.4: the classes are
    allowed for the block, and the list is as it was afterwards."""
    serialization = torch.serialization
    before = serialization.get_safe_globals()
    serialization.add_safe_globals(list(classes))
    try:
        yield
    finally:
        serialization.clear_safe_globals()
        serialization.add_safe_globals(before)


def safe_globals(classes):
    """A context manager inside which ``torch.load(weights_only=True)`` may rebuild instances
    of ``classes`` (besides what it allows by default)."""
    if SAFE_GLOBALS_CONTEXT is not None:
        return SAFE_GLOBALS_CONTEXT(classes)
    return _scoped_safe_globals(classes)
