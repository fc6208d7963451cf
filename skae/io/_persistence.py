"""skops files with an exact allowlist of classes (see :mod:`skae.io`).

skops rebuilds a file's objects by importing and calling the ``module.name`` that each node of
the file's schema names: a class to instantiate, or, for a node that a hand-edited file may
contain, any callable with arguments from the file (``ConstructorFromReduceNode``) or a
function to return (``FunctionNode``). ``skops.io.load(file, trusted=...)`` adds the given
names to skops' own defaults (numpy's ufuncs among them), so trusting "skae's names" trusts
every function of skae too. :func:`load` instead reads the schema first and refuses the file
unless every node is of a kind that builds data (no function, method or ``partial``) and names
one of :func:`trusted_types`.
"""

import io
import json
import os
import zipfile

import numpy as np
import scipy.sparse as sp

__all__ = ["load", "save", "trusted_types"]

# Node kinds of skops that return or call a function: never loaded.
_FUNCTION_LOADERS = frozenset({"FunctionNode", "MethodNode", "PartialNode", "OperatorFuncNode"})
# The node kinds a skae estimator is written with; any other kind is refused.
_DATA_LOADERS = frozenset({
    "ObjectNode", "DictNode", "ListNode", "TupleNode", "SetNode", "JsonNode", "TypeNode",
    "NdArrayNode", "DTypeNode", "RandomStateNode", "BytesNode", "BytearrayNode",
    "SparseMatrixNode", "SliceNode", "CachedNode",
})


def _skops():
    try:
        import skops.io
    except ImportError as exc:  # pragma: no cover - skops is in the tests' extra
        raise ImportError("skae.io needs skops: pip install skops (or skae[io]).") from exc
    return skops.io


def _name(cls):
    # How skops names a type: its module and its name.
    return f"{cls.__module__}.{cls.__name__}"


def _skae_classes():
    """skae's estimator classes, the objects their fitted attributes hold, and the
    ``torch.nn.Module`` classes of their networks."""
    from skae._engine import History
    from skae._estimator import safe_module_classes
    from skae.recommenders._ids import IdEncoder
    from skae.recommenders._mdacf import _Side
    from skae.recommenders._side import TableIndex
    from skae.utils import all_estimators

    modules = [m for m in safe_module_classes() if m.__module__.startswith("skae")]
    return [cls for _, cls in all_estimators()] + [History, IdEncoder, TableIndex, _Side,
                                                   *modules]


def trusted_types(extra=()):
    """The names of the types :func:`load` accepts in a file.

    skae's estimator classes and the classes of their fitted attributes and networks, the
    few scikit-learn classes these hold (``OrdinalEncoder`` in an id encoder,
    ``MissingIndicator`` in an imputer), numpy arrays, scalar types and ``RandomState``,
    scipy's ``csr_matrix``, and Python's built-in data types. Classes only: no function.

    Parameters
    ----------
    extra : iterable of type, default=()
        Further classes to accept (an extension's estimator, for instance).

    Returns
    -------
    names : list of str
        Sorted ``"module.Class"`` names, as skops writes them.

    Examples
    --------
    >>> from skae.io import trusted_types
    >>> "skae.autoencoders._autoencoder.Autoencoder" in trusted_types()
    True
    >>> any(name.startswith("builtins.eval") for name in trusted_types())
    False
    """
    from sklearn.impute import MissingIndicator
    from sklearn.preprocessing import OrdinalEncoder

    extra = list(extra)
    bad = [t for t in extra if not isinstance(t, type)]
    if bad:
        raise TypeError(f"trusted takes classes only (never a function or a name), got {bad}.")
    builtin = [dict, list, tuple, set, str, int, float, bool, bytes, bytearray, slice,
               type(None)]
    numpy = [np.ndarray, np.random.RandomState, *set(np.sctypeDict.values())]
    classes = [*builtin, *numpy, sp.csr_matrix, OrdinalEncoder, MissingIndicator,
               *_skae_classes(), *extra]
    return sorted({_name(cls) for cls in classes})


def _nodes(node):
    """Every node of a skops schema: each dict that names a ``__loader__``."""
    if isinstance(node, dict):
        if "__loader__" in node:
            yield node
        for value in node.values():
            yield from _nodes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nodes(value)


def _refused(data, allowed):
    """The ``kind: module.name`` of each node of the file ``data`` that :func:`load` refuses."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValueError(f"Not a skops file: {exc}.") from None
    refused = set()
    for node in _nodes(schema):
        loader = node["__loader__"]
        if loader == "CachedNode":  # a reference to a node checked where it is defined
            continue
        name = f"{node.get('__module__')}.{node.get('__class__')}"
        if (not isinstance(loader, str) or loader in _FUNCTION_LOADERS
                or loader not in _DATA_LOADERS or name not in allowed):
            refused.add(f"{loader}: {name}")
    return sorted(refused)


def save(estimator, file):
    """Write a fitted (or unfitted) estimator to ``file`` in skops' format.

    Parameters
    ----------
    estimator : estimator instance
        The estimator to save; its network goes in as a weights-only torch payload.
    file : str, os.PathLike or binary file object
        Where to write.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skae import Autoencoder
    >>> from skae.io import load, save
    >>> X = np.random.default_rng(0).random((50, 6))
    >>> ae = Autoencoder(n_components=2, max_iter=5, random_state=0).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "ae.skops")
    >>> save(ae, path)
    >>> bool(np.array_equal(load(path).transform(X), ae.transform(X)))
    True
    """
    _skops().dump(estimator, file)


def load(file, *, trusted=()):
    """Load an estimator written by :func:`save`, if the file names only trusted classes.

    The file's schema is read first. Every object in it must be built from one of
    :func:`trusted_types` (or ``trusted``), and none may be a function, a method or a
    ``functools.partial``; otherwise a ``TypeError`` names the offending entries and nothing
    of the file is imported, called or constructed. The networks inside are read with
    ``torch.load(weights_only=True)`` and only module classes of ``torch.nn``, of skae and
    those registered with ``skae.base.register_module_class``.

    Parameters
    ----------
    file : str, os.PathLike or binary file object
        The file to read.
    trusted : iterable of type, default=()
        Further classes to accept, e.g. an extension's estimator class. Classes only: a
        function or a name is an error.

    Returns
    -------
    estimator : estimator instance
        The estimator as it was saved.

    Raises
    ------
    TypeError
        If the file names a function or a class outside the trusted ones.
    """
    if isinstance(file, str | os.PathLike):
        with open(file, "rb") as handle:
            data = handle.read()
    else:
        data = file.read()
    allowed = trusted_types(trusted)
    refused = _refused(data, set(allowed))
    if refused:
        raise TypeError(
            f"skae.io.load refuses this file: it names {len(refused)} types that are not "
            f"among the classes skae's estimators are made of, or are functions: {refused}. "
            "Nothing in it was loaded. A file from skae.io.save names none of them; pass an "
            "extension's own classes as trusted=[...]."
        )
    return _skops().loads(data, trusted=allowed)
