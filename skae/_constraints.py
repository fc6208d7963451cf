"""Constraints of the parameters that several estimators share, under their vocabulary names.

The engine's parameters are :data:`skae._estimator.ENGINE_PARAMETER_CONSTRAINTS`; these are
the network's. An estimator merges the ones it has into its ``_parameter_constraints``.
"""

from numbers import Integral, Real

from skae.nn import ACTIVATIONS
from skae.utils._sklearn_compat import Interval, StrOptions

__all__ = ["NETWORK_PARAMETER_CONSTRAINTS", "network_constraints"]

NETWORK_PARAMETER_CONSTRAINTS = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "hidden_layer_sizes": ["array-like"],
    "activation": [StrOptions(set(ACTIVATIONS))],
    # A masking probability (inverted dropout, hidden entries). DenoisingAutoencoder's
    # noise_level can be a Gaussian's standard deviation and has a constraint of its own.
    "noise_level": [Interval(Real, 0, 1, closed="left")],
}


def network_constraints(*names):
    """The constraints of the parameters ``names``, from :data:`NETWORK_PARAMETER_CONSTRAINTS`."""
    return {name: NETWORK_PARAMETER_CONSTRAINTS[name] for name in names}
