"""``SparseAutoencoder``: a reconstruction loss plus a sparsity penalty on the code."""

from numbers import Real

from skae._docs import fill_doc
from skae._estimator import store_init_params
from skae.autoencoders._autoencoder import Autoencoder
from skae.nn import SPARSITY_PENALTIES
from skae.utils._sklearn_compat import Interval, StrOptions

__all__ = ["SparseAutoencoder"]

# Chosen by benchmarks/bench_code_size.py, where the rule is written.
_N_COMPONENTS_DOC = """\
n_components : int, default=256
        Size of the code ``h`` returned by :meth:`transform`. A sparse code is wide, with few
        units active for a given sample, so the default is wide too: the smallest size whose
        codes, as features of a linear model, came within a point of held-out accuracy of the
        best size on three image data sets (``benchmarks/bench_code_size.py`` reproduces
        the choice; the changelog gives the figures)."""


@fill_doc(n_components=_N_COMPONENTS_DOC)
class SparseAutoencoder(Autoencoder):
    """Sparse autoencoder: reconstruction loss plus a sparsity penalty on the code.

    Minimises ``l(g(f(x)), x) + sparsity_weight * Omega(h)`` with ``h = f(x)`` the code
    (Goodfellow, Bengio & Courville, *Deep Learning*, 2016, sec. 14.2.1):

    - ``sparsity="l1"``: ``Omega(h) = sum_k |h_k|``, averaged over samples;
    - ``sparsity="kl"``: ``Omega(h) = sum_k KL(rho || rho_hat_k)`` where ``rho_hat_k`` is the
      mean activation of unit ``k`` over a minibatch and ``rho = sparsity_target`` (Ng, 2011).
      The code must lie in (0, 1): use a sigmoid code layer (``code_activation="sigmoid"``,
      or ``activation="sigmoid"`` with ``code_activation="same"``).

    The reconstruction loss is a mean over features, so ``sparsity_weight`` is relative to a
    per-feature error; the penalty acts on the code layer only.

    Parameters
    ----------
    {autoencoder_params}

    sparsity : {"auto", "l1", "kl"}, default="auto"
        The sparsity penalty ``Omega``. "auto": "kl" when the code layer is a sigmoid (the
        lecture's penalty, whose target ``sparsity_target`` is a mean activation), else
        "l1".

    sparsity_weight : float or "auto", default="auto"
        Weight of ``Omega`` in the objective. "auto": 1e-3 for ``sparsity="l1"`` and 3e-3
        for ``sparsity="kl"``, which make ReLU codes and sigmoid codes visibly sparser at
        less than twice the reconstruction error; Notes say on which data they were chosen.

    sparsity_target : float, default=0.05
        Target mean activation ``rho`` of each code unit for ``sparsity="kl"``; ignored for
        ``"l1"``.

    {engine_params}

    {autoencoder_attributes_section}

    See Also
    --------
    Autoencoder : The same model without the penalty.
    sklearn.decomposition.SparsePCA : Sparse linear components.

    Notes
    -----
    The default ``sparsity_weight`` was chosen for the default ReLU codes with
    ``sparsity="l1"``, on scaled digits (``load_digits().data / 16``; 1,257 training and 540
    held-out images) and on MNIST (``/ 255``; the first 10,000 training and the 10,000 test
    images), with 32 codes and ``max_iter=150``, against a plain :class:`Autoencoder` of the
    same shape trained alike. The bar: held-out codes at least 1.75 times smaller in mean
    ``|h|``, with at least twice as many exact zeros, at a held-out reconstruction error
    within 2x of the plain autoencoder's. On digits (seeds 0-4) the mean ``|h|`` is 1.76-1.94
    times smaller, exact zeros are 1.8-2.8 times as common (37% against 14% for seed 0) and
    the error is 1.4-1.8 times larger; on MNIST the mean ``|h|`` is 5.8 times smaller, zeros
    5 times as common (20% against 4%), the error 1.08 times larger. Larger weights soon
    cost more than 2x on digits (1.25e-3: 1.96x; 1.5e-3: 2.1x; 3e-3: 2.7x). The effect grows
    with the code size (on digits, 1.3 times smaller with 8 codes, 2.1 with 64 at 1.95 times
    the error).

    Sigmoid codes get the KL penalty by default (``sparsity="auto"``), the lecture's
    penalty toward a small mean activation ``rho`` (Ng, 2011), at ``sparsity_weight=3e-3``.
    The L1 weight of ReLU codes does little there: a sigmoid code is never 0 and its bias
    moves slowly (at ``learning_rate_init=1e-3`` Adam shifts it by about ``1e-3`` a step), so
    sigmoid codes under the L1 default stay almost as dense as a plain autoencoder's. The KL
    weight was chosen on held-out training images of two data sets as the smallest that
    makes the mean ``|h|`` at most 0.8 times a plain sigmoid autoencoder's at under twice its
    error (``benchmarks/bench_defaults.py``; the figures are on the benchmarks page). With 8
    codes or fewer the default shrinks the mean code less: raise ``sparsity_weight`` there.

    References
    ----------
    .. [1] A. Ng, "Sparse autoencoder", CS294A lecture notes, Stanford, 2011.
    .. [2] I. Goodfellow, Y. Bengio and A. Courville, *Deep Learning*, MIT Press, 2016,
       sec. 14.2.1.

    Examples
    --------
    Choose the code size by cross-validating a classifier on the codes:

    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import Pipeline
    >>> from sklearn.svm import SVC
    >>> from skae import SparseAutoencoder
    >>> X, y = load_digits(return_X_y=True)
    >>> X, y = X[:300] / 16, y[:300]
    >>> pipe = Pipeline([("ae", SparseAutoencoder(max_iter=20, random_state=0)),
    ...                  ("clf", SVC())])
    >>> search = GridSearchCV(pipe, {"ae__n_components": [8, 16]}, cv=2).fit(X, y)
    >>> search.best_params_  # mean accuracy 0.76 with 16 codes, 0.57 with 8
    {'ae__n_components': 16}
    >>> ae = search.best_estimator_.named_steps["ae"]
    >>> ae.transform(X).shape == (300, ae.n_components)
    True
    """

    _parameter_constraints = {
        **Autoencoder._parameter_constraints,
        "sparsity": [StrOptions({"auto", *SPARSITY_PENALTIES})],
        "sparsity_weight": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
        "sparsity_target": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(
        self,
        n_components=256,
        *,
        hidden_layer_sizes=(),
        activation="relu",
        code_activation="same",
        out_activation="auto",
        tied_weights=False,
        loss="squared",
        sparsity="auto",
        sparsity_weight="auto",
        sparsity_target=0.05,
        alpha=0.0,
        learning_rate="constant",
        learning_rate_init=1e-3,
        batch_size="auto",
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        warm_start=False,
        random_state=None,
        device="cpu",
        verbose=0,
    ):
        store_init_params(self, locals())

    # The weights of sparsity_weight="auto", by penalty (see Notes).
    _AUTO_WEIGHTS = {"l1": 1e-3, "kl": 3e-3}

    def _sparsity(self):
        """The penalty ``sparsity`` names, "auto" resolved by the code layer."""
        if self.sparsity != "auto":
            return self.sparsity
        return "kl" if self._code_activation() == "sigmoid" else "l1"

    def _sparsity_weight(self):
        if self.sparsity_weight != "auto":
            return self.sparsity_weight
        return self._AUTO_WEIGHTS[self._sparsity()]

    def _check_params(self):
        super()._check_params()
        if self.sparsity == "kl" and self._code_activation() != "sigmoid":
            # KL(rho || rho_hat) compares Bernoulli means: codes outside (0, 1) have none.
            raise ValueError(
                "sparsity='kl' needs codes in (0, 1), i.e. a sigmoid code layer "
                "(code_activation='sigmoid', or 'same' with activation='sigmoid'); got "
                f"activation={self.activation!r}, code_activation={self.code_activation!r}. "
                "Use sparsity='l1' for other activations."
            )

    def _penalty(self, module, x, aux):
        code = aux["code"]
        if self._sparsity() == "kl":
            omega = SPARSITY_PENALTIES["kl"](code, self.sparsity_target)
        else:
            omega = SPARSITY_PENALTIES["l1"](code)
        return self._sparsity_weight() * omega
