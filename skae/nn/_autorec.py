"""The AutoRec objective: squared error on observed ratings only (torch only)."""

__all__ = ["masked_squared_error"]


def masked_squared_error(prediction, target, mask):
    """Mean squared error over the entries where ``mask`` is 1.

    AutoRec (Sedhain et al., WWW 2015, eq. 2) sums ``||r - h(r)||^2_O`` over observed
    ratings only: unobserved entries contribute neither to the loss nor to the gradient, so
    only the weights connected to observed ratings are updated. Dividing by the number of
    observed entries makes the loss a mean whose scale does not depend on the batch size.

    Parameters
    ----------
    prediction, target, mask : torch.Tensor of the same shape
        ``mask`` is 1 where ``target`` holds an observed rating, else 0.

    Returns
    -------
    loss : torch.Tensor, a scalar (0 when nothing is observed)
    """
    squared = (prediction - target).square() * mask
    return squared.sum() / mask.sum().clamp_min(1.0)
