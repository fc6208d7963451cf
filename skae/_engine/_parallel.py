"""Data-parallel training: one fit across the processes of a ``torch.distributed`` group,
each computing the gradient of its part of every minibatch (see skae.utils._distributed)."""

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel

__all__ = ["data_parallel"]


class _ShardLoss(nn.Module):
    """``loss_fn`` as a module's ``forward``, so that ``DistributedDataParallel`` sees every
    parameter the loss uses (estimators' losses call encoders, decoders and other parts of
    their modules, not only ``forward``).

    ``forward(batch, ctx, weight)`` returns ``weight`` times the loss of this process's part of
    a minibatch. With ``weight = world_size * part_rows / minibatch_rows`` the average that
    DDP takes of the processes' gradients is exactly the gradient of the mean loss over the
    whole minibatch, also when the parts differ in size. A process whose part is empty (a last
    minibatch with fewer rows than processes) contributes zero gradients but still takes part
    in the reduction.
    """

    def __init__(self, module, loss_fn, unused=()):
        super().__init__()
        self.module = module
        self.loss_fn = loss_fn
        self.unused = list(unused)

    def forward(self, batch, ctx, weight):
        if batch[0].shape[0] == 0:
            return sum(p.sum() for p in self.module.parameters() if p.requires_grad) * 0.0
        loss = self.loss_fn(self.module, batch, ctx) * weight
        if self.unused:
            # Parameters the loss leaves out (a classifier's decoder when its reconstruction
            # weight is 0) get zero gradients, so DDP's reduction does not wait for them.
            loss = loss + sum(p.sum() for p in self.unused) * 0.0
        return loss


def _unused_parameters(module, loss_fn, source, ctx):
    """The trainable parameters of ``module`` that ``loss_fn`` gives no gradient, found with
    one forward and backward pass on the first rows (the same rows on every process), without
    changing the module's gradients or the fit's generators."""
    params = [p for p in module.parameters() if p.requires_grad]
    saved = [p.grad for p in params]
    for p in params:
        p.grad = None
    probe = ctx.with_setup(generator=torch.Generator().manual_seed(0), shuffle_generator=None,
                           shard=None)
    try:
        loss_fn(module, source.take(slice(0, min(len(source), 8))), probe).backward()
        return [p for p in params if p.grad is None]
    finally:
        for p, grad in zip(params, saved):
            p.grad = grad


def data_parallel(module, loss_fn, source, ctx):
    """The ``DistributedDataParallel`` wrapper of one fit call (None outside one)."""
    if ctx.shard is None or not any(p.requires_grad for p in module.parameters()):
        return None
    unused = _unused_parameters(module, loss_fn, source, ctx)
    # Constructing it broadcasts rank 0's weights and buffers: every process starts the same.
    # No device_ids: the batches are already on the process's device, and DDP would
    # otherwise copy the arguments of forward (the StepContext among them).
    return DistributedDataParallel(_ShardLoss(module, loss_fn, unused))
