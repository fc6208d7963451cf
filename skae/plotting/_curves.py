"""Training curves of estimators trained by skae's engine.

matplotlib is imported inside each function, so importing this module never needs it.
"""

from skae._docs import fill_doc

__all__ = ["plot_loss_curve"]


@fill_doc
def plot_loss_curve(estimators, *, log_scale=False, ax=None):
    """Plot ``loss_curve_`` (and ``validation_loss_curve_`` when there is one) per epoch.

    Parameters
    ----------
    estimators : fitted estimator, or dict of name -> fitted estimator
        Several estimators share the axes, one colour each; the validation curve is dashed.
    log_scale : bool, default=False
        Logarithmic loss axis.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    {digits_autoencoder_example}
    >>> from skae.plotting import plot_loss_curve
    >>> X = load_digits().data / 16
    >>> ae = Autoencoder(n_components=8, max_iter=5, early_stopping=True,
    ...                  random_state=0).fit(X)
    >>> ax = plot_loss_curve(ae)
    >>> [line.get_label() for line in ax.get_lines()]
    ['Autoencoder (training)', 'Autoencoder (validation)']
    """
    import matplotlib.pyplot as plt

    if not isinstance(estimators, dict):
        estimators = {type(estimators).__name__: estimators}
    if ax is None:
        _, ax = plt.subplots()
    for i, (name, est) in enumerate(estimators.items()):
        if not hasattr(est, "loss_curve_"):
            raise ValueError(
                f"{name} has no loss_curve_: plot_loss_curve needs a fitted estimator trained "
                "by skae's engine."
            )
        colour = f"C{i}"
        epochs = range(1, len(est.loss_curve_) + 1)
        ax.plot(epochs, est.loss_curve_, color=colour, label=f"{name} (training)")
        validation = getattr(est, "validation_loss_curve_", None)
        if validation:
            ax.plot(range(1, len(validation) + 1), validation, color=colour, linestyle="--",
                    label=f"{name} (validation)")
    if log_scale:
        ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend()
    return ax
