"""Docstring fragments shared by the estimators, so parameters are documented once.

Use :func:`fill_doc` on a class whose docstring contains ``{name}`` placeholders for the keys
of :data:`DOCS`. A class passes its own fragments, or overrides shared ones, as keyword
arguments: ``@fill_doc(mult_params=...)``. Fragments may hold placeholders themselves. A
fragment states the usual default of each parameter; :func:`fill_doc` writes the class's own
default (its signature's) wherever it differs, so one fragment serves classes whose defaults
differ (``ContractiveAutoencoder``'s sigmoid, ``CDL``'s 50 epochs).

On a class, the docstrings of the methods and properties it defines are filled too, so that
entries several methods share (``y``, ``Returns self``, one class's ``X``) are written once; a
fragment placed in a method's docstring is indented to where it stands. Functions (the data
set loaders, the plotting functions) are filled the same way.
"""

import ast
import inspect
import re

__all__ = ["DOCS", "drop_params", "fill_doc"]

DOCS = {}

DOCS["tied_weights"] = """\
tied_weights : bool, default=False
        Decoder weights are the transposed encoder weights (``W' = W^T``)."""

# The greedy pre-training of StackedAutoencoder and StackedAutoencoderClassifier; the name of
# the first level's loss differs (``reconstruction_loss`` in the classifier).
DOCS["pretrain_loss"] = "``loss``"

DOCS["pretrain_params"] = """\
pretrain : "greedy" or None, default="greedy"
        Greedy layer-wise pre-training before fine-tuning, or none (random initial weights,
        the plain backpropagation baseline of Hinton & Salakhutdinov).

    pretrain_estimator : BaseAutoencoder instance or None, default=None
        Template of the one-layer autoencoders of the greedy phase, for instance a
        :class:`DenoisingAutoencoder` or a :class:`SparseAutoencoder`. Each level is a clone
        with ``n_components``, ``hidden_layer_sizes=()``, ``activation``, ``code_activation``
        (the code activation for the top level, ``activation`` below it), ``tied_weights``,
        ``random_state`` and ``verbose=0`` set by this estimator; the first level also takes
        {pretrain_loss} and the output activation, deeper levels reconstruct codes with the
        squared loss and ``out_activation=activation``. Its own settings (noise, sparsity,
        ``max_iter``, learning rate...) are kept. None means an :class:`Autoencoder` with this
        estimator's engine settings (``learning_rate_init``, ``batch_size``, ``max_iter``,
        ``tol``, ``alpha``...)."""

DOCS["n_components"] = """\
n_components : int, default=2
        Size of the code ``h`` returned by :meth:`transform`. The default, 2, gives a map of
        the data to plot, as the defaults of :class:`~sklearn.manifold.Isomap` and
        :class:`~sklearn.manifold.TSNE` do; for features, choose a larger code, for instance
        by cross-validating the estimator that uses them."""

DOCS["autoencoder_params"] = """\
{n_components}

    hidden_layer_sizes : tuple of int, default=()
        Sizes of the encoder's hidden layers between the input and the code; the decoder mirrors
        them. ``()`` gives a single-layer encoder and decoder.

    activation : {"relu", "sigmoid", "tanh", "identity"}, default="relu"
        Activation of the hidden layers, and of the code layer when ``code_activation="same"``.
        ``"identity"`` with ``hidden_layer_sizes=()`` is a linear autoencoder, which under
        squared loss learns PCA's principal subspace (Baldi & Hornik, 1989).

    code_activation : {"same", "relu", "sigmoid", "tanh", "identity"}, default="same"
        Activation of the code layer, the output of :meth:`transform`. ``"same"`` uses
        ``activation``. ``"identity"`` gives an unbounded, linear code on top of nonlinear
        hidden layers, as in the deep autoencoders of Hinton & Salakhutdinov (Science 2006):
        logistic hidden units and linear code units.

    out_activation : {"auto", "identity", "sigmoid", "relu", "tanh"}, default="auto"
        Activation of the reconstruction. ``"auto"`` is ``"sigmoid"`` for cross-entropy and
        ``"identity"`` for squared loss.

    {tied_weights}

    loss : {"squared", "cross_entropy"}, default="squared"
        Reconstruction loss, averaged over features. ``"cross_entropy"`` is the Bernoulli
        negative log-likelihood and requires data in [0, 1] and a sigmoid output."""

DOCS["engine_params"] = """\
alpha : float, default=0.0
        L2 penalty on the weight matrices (not the biases), added to the mean loss of a
        minibatch as ``alpha / 2 * ||W||^2`` (Adam's coupled weight decay), whatever the
        minibatch's size. scikit-learn's MLPs divide their penalty by the minibatch's rows,
        ``alpha / (2 * batch_size) * ||W||^2``: next to the same loss, their ``alpha`` is this
        one times ``batch_size`` (times ``batch_size / 2`` against
        :class:`~sklearn.neural_network.MLPRegressor`, whose squared loss is half the mean
        squared error).

    learning_rate : {"constant", "adaptive", "cosine"}, default="constant"
        Schedule of Adam's step size over the epochs of a :meth:`fit` call, which starts at
        ``learning_rate_init``. ``"constant"`` keeps it. ``"adaptive"`` follows scikit-learn's
        MLP: when the monitored loss has not improved by ``tol`` for ``n_iter_no_change``
        epochs, the step size is divided by 5 instead of stopping, and training stops only
        once it is below 1e-6 (:meth:`partial_fit` carries the reduced step size over).
        ``"cosine"`` anneals it from ``learning_rate_init`` towards 0 over ``max_iter``
        epochs, ``lr_t = learning_rate_init * (1 + cos(pi t / max_iter)) / 2`` (Loshchilov &
        Hutter, ICLR 2017); each :meth:`fit` restarts it (with ``warm_start``, SGDR's warm
        restart) and :meth:`partial_fit` trains at ``learning_rate_init``. A cosine schedule
        plans all ``max_iter`` epochs, so reaching ``max_iter`` raises no
        :class:`~sklearn.exceptions.ConvergenceWarning` (the other schedules warn).

    learning_rate_init : float, default=1e-3
        Adam's step size at the start of :meth:`fit` (the step size of :meth:`partial_fit`,
        except with ``learning_rate="adaptive"``).

    batch_size : int or "auto", default="auto"
        Minibatch size; ``"auto"`` is ``min(200, n_samples)``. A value larger than the number
        of samples means full-batch training.

    max_iter : int, default=200
        Maximum number of epochs (passes over the data) in :meth:`fit`.

    tol : float, default=1e-4
        Training stops when the monitored loss has not improved by at least ``tol`` for
        ``n_iter_no_change`` consecutive epochs.

    n_iter_no_change : int, default=10
        See ``tol``.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data, monitor its loss instead of
        the training loss, and restore the weights of the best validation epoch.

    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping`` is True.

    warm_start : bool, default=False
        Continue from the previous solution in :meth:`fit` instead of starting afresh.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, shuffling, validation split and any noise. Pass an int
        for identical results across calls. Global random states (numpy's, torch's) are left
        untouched.

    device : str or torch.device, default="cpu"
        Where to train and predict: ``"cpu"``, ``"cuda"``, ``"cuda:1"`` or ``"auto"`` (CUDA
        when available). Resolved in :meth:`fit`; a pickled model loads on a CPU-only machine.

    verbose : int, default=0
        0: silent. 1: one progress bar (tqdm, on standard error) over the epochs, with the
        training loss, the validation loss with early stopping and the step size under a
        schedule; a greedy stack (``pretrain="greedy"``) first shows one bar over its
        levels, whose own fits stay silent. Nothing is printed."""



def drop_params(fragment, *names):
    """``fragment`` without the entries of the parameters ``names``, for an estimator that
    documents them itself or does not have them."""
    entries = fragment.split("\n\n    ")
    kept = [e for e in entries if e.split(" : ", 1)[0] not in names]
    if len(kept) != len(entries) - len(names):
        raise KeyError(f"not all of {names} are documented by the fragment")
    return "\n\n    ".join(kept)


# The engine's parameters without ``alpha``, for estimators whose ``alpha`` has another
# meaning or more to it (they document ``alpha`` themselves, just before this fragment).
DOCS["engine_params_after_alpha"] = drop_params(DOCS["engine_params"], "alpha")

DOCS["autoencoder_attributes"] = """\
mean_ : ndarray of shape (``n_features_in_``,)
        Per-feature mean of the data of the first :meth:`fit` or :meth:`partial_fit` call,
        subtracted before encoding.

    components_ : ndarray of shape (n_components, ``n_features_in_``)
        Encoder weights ``W`` when the encoder is a single layer (``hidden_layer_sizes=()``),
        one row per code unit, as :attr:`sklearn.decomposition.PCA.components_`; deep
        encoders raise AttributeError (use ``module_.encoder_layers``)."""

DOCS["engine_attributes"] = """\
module_ : torch.nn.Module
        The trained network.

    device_ : torch.device
        The device the model lives on.

    loss_curve_ : list of float
        Training loss at the end of each epoch (the objective, penalties included).

    validation_loss_curve_ : list of float or None
        Validation loss of each epoch when ``early_stopping`` is True, else None.

    best_loss_ : float
        Best monitored loss (validation loss with early stopping, else training loss).

    n_iter_ : int
        Number of epochs run, over all calls to :meth:`fit`/:meth:`partial_fit` since the
        model was started.

    n_features_in_ : int
        Number of features seen during :meth:`fit`.

    feature_names_in_ : ndarray of shape (``n_features_in_``,)
        Names of features seen during :meth:`fit`, when ``X`` has string column names."""

# Entries of method docstrings (``fit``, ``partial_fit``, ``score``).
DOCS["y_ignored"] = """\
y : None
        Ignored."""

DOCS["returns_self"] = """\
Returns
    -------
    self : object
        The fitted estimator."""

# The data set loaders' ``return_X_y``, up to the Bunch they return otherwise.
DOCS["return_X_y"] = """\
return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`"""

# The networks of skae.nn that run ``n_networks`` autoencoders side by side.
DOCS["side_by_side_parameters"] = """\
n_features : int
        Number of features of a sample.
    hidden_layer_sizes : sequence of int
        Sizes of the encoder's hidden layers; the decoder uses them in reverse order.
    n_components : int
        {code_size}
    activation : str, default="relu"
        Activation of the hidden layers (a key of :data:`skae.nn.ACTIVATIONS`).
    n_networks : int, default=1
        {networks}
    generator : torch.Generator, optional
        Source of randomness for the initial weights."""

# The start of the plotting functions' examples: an autoencoder on the digits, drawn without
# a display.
DOCS["digits_autoencoder_example"] = """\
>>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import load_digits
    >>> from skae import Autoencoder"""

# The rating predictors' ``predict``.
DOCS["pairs_X"] = """\
X : array-like or DataFrame of shape (n_pairs, 2)
        User id, item id of each pair."""

DOCS["returns_ratings"] = """\
Returns
    -------
    y_pred : ndarray of shape (n_pairs,), dtype float64
        The predicted rating of each pair, never NaN."""

# The ids of a top-N recommender fitted on a long table of interactions.
DOCS["topn_encoder_attributes"] = """\
user_encoder_ : skae.recommenders._ids.IdEncoder or None
        The user ids of the long table given to :meth:`fit` (``user_encoder_.classes_``, in
        the order of the rows of its matrix); None when fitted on a matrix.

    item_encoder_ : skae.recommenders._ids.IdEncoder or None
        The item ids of that table (``item_encoder_.classes_``); None when fitted on a
        matrix."""

DOCS["topn_id_attributes"] = """\
{topn_encoder_attributes}

    item_ids_ : ndarray of shape (n_items,)
        The id of each column of ``X``, which :meth:`recommend` returns for ids:
        ``item_encoder_.classes_`` after a long table, else ``feature_names_in_`` when ``X``
        has string column names, else ``0 .. n_items - 1``."""

# Whole sections: the header, then the shared entries. A class's own attributes follow the
# placeholder, in the section it opens.
DOCS["engine_attributes_section"] = """\
Attributes
    ----------
    {engine_attributes}"""

DOCS["autoencoder_attributes_section"] = """\
{engine_attributes_section}

    {autoencoder_attributes}"""


# A placeholder: a Python identifier in braces. Set literals in docstrings such as
# ``{"item", "user"}`` or ``{2e-3, 3e-3}`` do not match.
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# A parameter line that states its default: ``    name : type, default=value``.
_DEFAULT_LINE = re.compile(r"^(\s*(\w+) : .*default=)(.+)$", re.MULTILINE)


def _format_default(value):
    """``value`` as a docstring writes a default: strings in double quotes, small floats in
    short scientific notation (``1e-3``)."""
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, float) and value and abs(value) < 1e-2:
        short = f"{value:.0e}".replace("e-0", "e-")
        if float(short) == value:
            return short
    return repr(value)


def _written_default_is(written, value):
    try:
        parsed = ast.literal_eval(written)
    except (ValueError, SyntaxError):  # such as np.nan: left as written
        return True
    return type(parsed) is type(value) and parsed == value


def _signature_defaults(obj, doc):
    """``doc`` with each stated default that differs from ``obj``'s signature rewritten."""
    try:
        params = inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return doc

    def rewrite(match):
        head, name, written = match.groups()
        param = params.get(name)
        if (param is None or param.default is inspect.Parameter.empty
                or _written_default_is(written, param.default)):
            return match.group(0)
        return head + _format_default(param.default)

    return _DEFAULT_LINE.sub(rewrite, doc)


def _fill(obj, docs):
    """``obj.__doc__`` with its placeholders and stated defaults filled.

    A fragment is written for a class docstring: its first line follows the placeholder and
    the lines after it are indented by 4. Where the placeholder stands deeper on its own line
    (in a method's docstring, indented by 8), the fragment's lines are indented by the
    difference.
    """

    def resolve(text):
        return _PLACEHOLDER.sub(substitute, text)

    def substitute(match):
        key = match.group(1)
        if key not in docs:
            raise KeyError(f"{obj.__qualname__}'s docstring has the placeholder {{{key}}}, which "
                           f"is not a docstring fragment; known: {sorted(docs)}.")
        lines = resolve(docs[key]).split("\n")
        before = match.string[match.string.rfind("\n", 0, match.start()) + 1:match.start()]
        pad = " " * (len(before) - 4) if not before.strip() and len(before) > 4 else ""
        return "\n".join([lines[0]] + [pad + line if line else line for line in lines[1:]])

    return _signature_defaults(obj, resolve(obj.__doc__))


def fill_doc(obj=None, /, **fragments):
    """Substitute the ``{key}`` placeholders of ``obj.__doc__`` with docstring fragments.

    Use as ``@fill_doc`` for the shared :data:`DOCS` fragments only, or as
    ``@fill_doc(key=text, ...)`` to add fragments of one class or override shared ones for it.
    Placeholders inside fragments are filled too. Then every parameter line that states a
    default (``name : type, default=value``) is given ``obj``'s own default, from its
    signature, where the text says otherwise. On a class, the same is done to the docstring
    of each method and property it defines (against the method's signature).

    Parameters
    ----------
    obj : class or function, optional
        The object whose docstring is filled. Omitted when keyword arguments are given.
    **fragments : str
        Fragments that add to or override :data:`DOCS` for this object only.

    Returns
    -------
    obj : class or function
        ``obj`` with its docstring filled, or, without ``obj``, a decorator that fills it.

    Raises
    ------
    KeyError
        If the docstring has a placeholder that is neither in :data:`DOCS` nor in
        ``fragments``, so a misspelt placeholder cannot reach the documentation.
    """
    if obj is None:
        return lambda target: fill_doc(target, **fragments)
    docs = {**DOCS, **fragments}
    if obj.__doc__ is not None:
        obj.__doc__ = _fill(obj, docs)
    if inspect.isclass(obj):
        # The methods and properties the class defines, each against its own signature.
        for member in vars(obj).values():
            if not (isinstance(member, property) or inspect.isfunction(member)):
                continue
            if member.__doc__ and _PLACEHOLDER.search(member.__doc__):
                # A property keeps its own copy of its getter's docstring.
                function = member.fget if isinstance(member, property) else member
                function.__doc__ = member.__doc__
                member.__doc__ = _fill(function, docs)
    return obj
