"""The parameter vocabulary: one name per concept across skae's public estimators.

:data:`VOCABULARY` is the table, :data:`RENAMES` the renames that brought the estimators to it,
:data:`FORBIDDEN` the names no estimator may take. ``tests/test_vocabulary.py`` holds every
public estimator to them, and the documentation renders them (the ``skae-vocabulary`` and
``skae-renames`` directives of ``doc/conf.py``): this module is the only place they are written.
"""

from numbers import Integral, Real

__all__ = ["FORBIDDEN", "RENAMES", "VOCABULARY", "table_rst"]

_CLOSED_FORM = "closed form: no gradient steps"
# The estimators that do not train through the engine (no minibatches, no optimizer).
_OFF_ENGINE = {"EASE": _CLOSED_FORM, "MDACFRegressor": _CLOSED_FORM}

#: One entry per concept: the parameter ``name``; its ``meaning``; ``defaults``, the types (or
#: the values) its default may take; and either ``without`` (every public estimator has the
#: parameter except these, each with the reason) or ``only`` (exactly these estimators have it;
#: the others have nothing of the kind). ``differs`` names the estimators whose parameter of
#: that name means something else, and what; ``notes`` say what others use instead.
VOCABULARY = [
    {
        "concept": "code size",
        "name": "n_components",
        "meaning": "Size of the code (latent representation, latent factors) that is learned.",
        "defaults": (Integral, "auto"),
        "without": {
            "StackedAutoencoderClassifier": (
                "the last of ``hidden_layer_sizes`` is the code and feeds the output layer, "
                "as in MLPClassifier"),
            "EASE": "an item-item weight matrix, no code",
        },
    },
    {
        "concept": "hidden layers",
        "name": "hidden_layer_sizes",
        "meaning": "Sizes of the encoder's hidden layers (the decoder mirrors them), as in "
                   "scikit-learn's MLPs; \"auto\" where they depend on the data's width.",
        "defaults": (tuple, "auto"),
        "without": {
            "AutoRecRegressor": "the paper's single hidden layer, of size ``n_components``",
            "CDAE": "the paper's single hidden layer, of size ``n_components``",
            "EASE": "no hidden layer",
            "MDACFRegressor": (
                "``n_layers`` marginalized denoising layers, each as wide as its input"),
        },
    },
    {
        "concept": "corruption kind",
        "name": "noise",
        "meaning": 'Kind of the noise that corrupts the training input: "gaussian", '
                   '"masking" or "salt_and_pepper".',
        "defaults": (str,),
        "only": ("DenoisingAutoencoder",),
        "notes": (
            "The other denoising estimators support masking only: CDL and AutoencoderImputer "
            "(hidden entries) mask, CDAE, MultDAE and MultVAE mask and rescale the kept "
            "entries by ``1 / (1 - noise_level)`` (inverted dropout), MDACFRegressor "
            "marginalizes masking noise in closed form."),
    },
    {
        "concept": "corruption level",
        "name": "noise_level",
        "meaning": "Level of the noise that corrupts the training input: the fraction of "
                   "entries masked, or the standard deviation of Gaussian noise.",
        "defaults": (Real,),
        "only": ("AutoencoderImputer", "CDAE", "CDL", "DenoisingAutoencoder",
                 "DocumentAutoencoder", "MDACFRegressor", "MultDAE", "MultVAE"),
        "notes": (
            "StackedAutoencoder and StackedAutoencoderClassifier corrupt in pre-training "
            "through ``pretrain_estimator`` (e.g. a DenoisingAutoencoder); the classifier's "
            "``dropout`` and ``input_dropout`` are dropout of units in supervised "
            "fine-tuning (Srivastava et al., 2014), not a corruption level."),
    },
    {
        "concept": "L2 penalty",
        "name": "alpha",
        "meaning": "L2 penalty on the weight matrices: ``alpha / 2 * ||W||^2`` added to the "
                   "mean loss of a minibatch (Adam's coupled weight decay). scikit-learn's "
                   "MLPs divide their penalty by the minibatch's rows: their ``alpha`` is "
                   "this one times ``batch_size``.",
        "defaults": (Real,),
        "without": {"MDACFRegressor": (
            "``coupling_weight`` and ``projection_weight``, ridge penalties of a closed-form "
            "model on its summed squared errors")},
        "differs": {"EASE": (
            "the ridge penalty of its closed-form solve on the summed squared error, as the "
            "``alpha`` of scikit-learn's Ridge")},
    },
    {
        "concept": "step size",
        "name": "learning_rate_init",
        "meaning": "Adam's step size at the start of ``fit``.",
        "defaults": (Real, "auto"),
        "without": _OFF_ENGINE,
        "notes": ('AutoencoderImputer\'s default, "auto", depends on the number of features, as '
                  'its ``hidden_layer_sizes``: a deeper network takes smaller steps.'),
    },
    {
        "concept": "step-size schedule",
        "name": "learning_rate",
        "meaning": 'Schedule of the step size: "constant", "adaptive" or "cosine".',
        "defaults": (str,),
        "without": _OFF_ENGINE,
    },
    {
        "concept": "epochs",
        "name": "max_iter",
        "meaning": "Maximum number of epochs (passes over the data) of ``fit``.",
        "defaults": (Integral,),
        "without": {"EASE": "one closed-form solve"},
        "notes": "MDACFRegressor's ``max_iter`` counts its alternating sweeps.",
    },
    {
        "concept": "minibatch size",
        "name": "batch_size",
        "meaning": 'Rows per minibatch, or "auto".',
        "defaults": (Integral, "auto"),
        "without": _OFF_ENGINE,
    },
    {
        "concept": "convergence tolerance",
        "name": "tol",
        "meaning": "Smallest improvement of the monitored loss that counts as progress.",
        "defaults": (Real,),
        "without": {"EASE": "one closed-form solve"},
        "notes": "MDACFRegressor's ``tol`` is relative to the objective of the last sweep.",
    },
    {
        "concept": "patience",
        "name": "n_iter_no_change",
        "meaning": "Epochs without an improvement of ``tol`` before training stops.",
        "defaults": (Integral,),
        "without": {"EASE": _CLOSED_FORM,
                    "MDACFRegressor": "stops on the first sweep that improves less than tol"},
    },
    {
        "concept": "early stopping",
        "name": "early_stopping",
        "meaning": "Hold out ``validation_fraction`` of the training data and monitor its loss.",
        "defaults": (bool,),
        "without": {"EASE": _CLOSED_FORM, "MDACFRegressor": _CLOSED_FORM,
                    "CDL": "its closed-form factor updates need every user and every item"},
    },
    {
        "concept": "validation share",
        "name": "validation_fraction",
        "meaning": "Share of the training data held out when ``early_stopping`` is True.",
        "defaults": (Real,),
        "without": {"EASE": _CLOSED_FORM, "MDACFRegressor": _CLOSED_FORM,
                    "CDL": "no early stopping (see ``early_stopping``)"},
    },
    {
        "concept": "warm start",
        "name": "warm_start",
        "meaning": "Continue from the previous solution in ``fit``.",
        "defaults": (bool,),
        "without": {"EASE": "one closed-form solve", "MDACFRegressor": _CLOSED_FORM,
                    "AutoencoderOutlierDetector": (
                        "its scores' scales and threshold come from one fit's data")},
    },
    {
        "concept": "seed",
        "name": "random_state",
        "meaning": "Seeds everything random in ``fit``; global random states are untouched.",
        "defaults": (type(None),),
        "without": {"EASE": "deterministic"},
    },
    {
        "concept": "device",
        "name": "device",
        "meaning": 'Where to train and predict: "cpu", "cuda", "cuda:1" or "auto".',
        "defaults": (str,),
        "without": {"EASE": "numpy and scipy, on the CPU",
                    "MDACFRegressor": "numpy and scipy, on the CPU"},
    },
    {
        "concept": "progress output",
        "name": "verbose",
        "meaning": "0: silent. 1: one progress bar (tqdm, on standard error) over the epochs, "
                   "or, for a greedy stack, one over its levels first (their fits silent); "
                   "nothing is printed.",
        "defaults": (Integral,),
        "without": {"EASE": "one closed-form solve, nothing to follow"},
    },
    {
        "concept": "posterior draws",
        "name": "n_draws",
        "meaning": "Number of draws from a posterior (Monte Carlo or Gibbs) per sample or fit.",
        "defaults": (Integral,),
        "only": ("AutoencoderImputer", "MDACFRegressor", "VariationalAutoencoder"),
        "notes": "``n_samples`` keeps scikit-learn's meaning, a number of rows "
                 "(``VariationalAutoencoder.sample(n_samples)``).",
    },
]

#: The renames of 0.1.0.dev0 (nothing had been released): ``(estimator, old, new)``.
RENAMES = [
    ("AutoRecRegressor", "hidden_units", "n_components"),
    ("CDAE", "corruption", "noise_level"),
    ("CDL", "corruption", "noise_level"),
    ("CDL", "lambda_w", "alpha"),
    ("MDACFRegressor", "corruption", "noise_level"),
    ("MDACFRegressor", "alpha", "coupling_weight"),
    ("MDACFRegressor", "bias_alpha", "bias_coupling_weight"),
    ("MDACFRegressor", "weighted_alpha", "weighted_coupling"),
    ("MDACFRegressor", "feature_alpha", "projection_weight"),
    ("MDACFRegressor", "n_samples", "n_draws"),
    ("MultDAE", "dropout", "noise_level"),
    ("MultVAE", "dropout", "noise_level"),
    ("AutoencoderImputer", "hide_fraction", "noise_level"),
    ("AutoencoderImputer", "n_importance", "n_draws"),
    ("VariationalAutoencoder", "n_importance", "n_draws"),
]

#: Names no estimator may take, with the vocabulary's name for the concept: the old names of
#: :data:`RENAMES` that no estimator keeps, and common names of other libraries.
FORBIDDEN = {
    **{old: new for _, old, new in RENAMES if old not in ("alpha", "dropout")},
    "n_hidden": "n_components",
    "hidden_size": "n_components",
    "latent_dim": "n_components",
    "corruption_level": "noise_level",
    "noise_std": "noise_level",
    "dropout_rate": "noise_level",
    "weight_decay": "alpha",
    "l2": "alpha",
    "l2_reg": "alpha",
    "lr": "learning_rate_init",
    "epochs": "max_iter",
    "n_epochs": "max_iter",
    "n_iter": "max_iter",
    "patience": "n_iter_no_change",
    "seed": "random_state",
    "n_mc_samples": "n_draws",
    "n_particles": "n_draws",
}


def _list_table(header, rows, widths):
    """The lines of an rst ``list-table``."""
    lines = [".. list-table::", "   :header-rows: 1", f"   :widths: {widths}", ""]
    for row in [header, *rows]:
        lines.append(f"   * - {row[0]}")
        lines += [f"     - {cell}" for cell in row[1:]]
    return lines


def table_rst(which):
    """The rst lines of the vocabulary table (``"vocabulary"``) or of the renames
    (``"renames"``), as the documentation shows them."""
    if which == "renames":
        return _list_table(("Estimator", "Old name", "New name"),
                           [(est, f"``{old}``", f"``{new}``") for est, old, new in RENAMES],
                           "30 30 30")
    rows = []
    for entry in VOCABULARY:
        if "only" in entry:
            where = "only " + ", ".join(entry["only"])
        elif entry["without"]:
            where = "all but " + "; ".join(f"{est} ({why})"
                                           for est, why in entry["without"].items())
        else:
            where = "all"
        differs = " ".join(f"{est}'s ``{entry['name']}`` is {what}."
                           for est, what in entry.get("differs", {}).items())
        rows.append((entry["concept"], f"``{entry['name']}``",
                     " ".join(filter(None, [entry["meaning"], differs, entry.get("notes")])),
                     where))
    return _list_table(("Concept", "Name", "Meaning", "Estimators"), rows, "12 14 44 30")
