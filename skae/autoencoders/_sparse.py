"""``SparseAutoencoder``: a reconstruction loss plus a sparsity penalty on the code."""

from numbers import Real

from skae._docs import fill_doc
from skae._estimator import store_init_params
from skae.autoencoders._autoencoder import Autoencoder
from skae.nn import SPARSITY_PENALTIES
from skae.utils._sklearn_compat import Interval, StrOptions

__all__ = ["SparseAutoencoder"]

# Chosen by benchmarks/bench_code_size.py (the rule is written there); the figures are its
# three-seed means.
_N_COMPONENTS_DOC = """\
n_components : int, default=256
        Size of the code ``h`` returned by :meth:`transform`. A sparse code is wide, with few
        units active for a given sample. The default is the smallest size (of 2, 8, 32, 64,
        128 and 256) whose codes, as features of a logistic regression, come within 1 point
        of held-out accuracy of the best size on each of digits and 10,000 MNIST and
        Fashion-MNIST training images (held-out parts of training data): 256 gave 97.9%,
        92.0% and 82.1%, 128 gave 97.5%, 91.0% (1.02 points below 256) and 83.0%, and 2 (the
        plain autoencoder's default, for plots) 43%, 41% and 50%. 71 to 88% of the held-out
        codes of size 256 are exactly 0. ``benchmarks/bench_code_size.py`` reproduces these
        figures."""


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
    on digits the L1 default left the mean sigmoid code at 0.87 times a plain autoencoder's
    (0.430 against 0.495). The KL weight was chosen on held-out training images only, by a
    rule: the smallest weight of (1e-3, 3e-3, 1e-2, 3e-2) whose held-out
    mean ``|h|`` is at most 0.8 times the plain sigmoid autoencoder's at under twice its
    error, with 32 and 64 codes on digits (the split above) and on MNIST training images
    (5,000 fitted, 2,000 others held out), ``max_iter=150``. At 3e-3 the ratios are 0.71
    and 0.67 on digits (at 0.97 and 0.88 times the error) and 0.31 and 0.28 on MNIST (at
    1.14 and 1.51 times); 1e-3 leaves it at 0.81 on digits with 32 codes, and 1e-2 costs
    2.07 times the error on MNIST with 64 codes. With 256 codes the ratio on digits is 0.61
    (at 0.63 times the error of a plain autoencoder, which stops earlier; 1e-2: 1.99 times).
    With 8 codes or fewer the default shrinks the mean code less (0.83 times on digits with
    8, 0.94 with 2): raise ``sparsity_weight`` there.
    ``benchmarks/bench_defaults.py`` reproduces these figures.

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
