"""The public extension points of skae: what a new estimator is built from.

A new autoencoder variant subclasses :class:`~skae.Autoencoder` (or
:class:`BaseAutoencoder`); a new top-N recommender subclasses
:class:`BaseNeuralTopNRecommender`; any other model trained by skae's engine mixes in
:class:`TorchEstimatorMixin`. Their hooks receive a :class:`StepContext`; see the
"Extending skae" page of the documentation for a worked example.
"""

from skae._base import BaseAutoencoder
from skae._contract import TrainingConfig, TrainingData
from skae._engine import (
    BatchSource,
    FitSetup,
    History,
    Hooks,
    StepContext,
    batch_type,
    column_sums,
    iter_batches,
)
from skae._estimator import (
    ENGINE_PARAMETER_CONSTRAINTS,
    TorchEstimatorMixin,
    check_hidden_layer_sizes,
    register_module_class,
    store_init_params,
)
from skae.recommenders._topn_base import BaseNeuralTopNRecommender, BaseTopNRecommender
from skae.utils._sklearn_compat import Interval, StrOptions

__all__ = [
    "ENGINE_PARAMETER_CONSTRAINTS",
    "BaseAutoencoder",
    "BaseNeuralTopNRecommender",
    "BaseTopNRecommender",
    "BatchSource",
    "FitSetup",
    "History",
    "Hooks",
    "Interval",
    "StepContext",
    "StrOptions",
    "TorchEstimatorMixin",
    "TrainingConfig",
    "TrainingData",
    "batch_type",
    "check_hidden_layer_sizes",
    "column_sums",
    "iter_batches",
    "register_module_class",
    "store_init_params",
]
