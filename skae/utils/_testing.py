"""Small, fast constructor settings for tests that fit every estimator, kept in one place.

``tests/test_common.py`` checks the estimators whose input is a matrix with their default
constructor, and the id-pair regressors with ``CHECK_PARAMS``; other tests (docstrings,
persistence) use ``CHECK_PARAMS.get(name, {})`` to fit every estimator quickly. Settings only
shrink the work (epochs, layer sizes); they never switch off behaviour that the checks are
meant to see.
"""

__all__ = ["CHECK_PARAMS", "EXPECTED_FAILED_CHECKS"]

CHECK_PARAMS = {
    "AutoRecRegressor": {"n_components": 8, "max_iter": 20},
    "Autoencoder": {"n_components": 3, "hidden_layer_sizes": (8,), "max_iter": 30},
    "AutoencoderImputer": {"n_components": 4, "hidden_layer_sizes": (8,), "max_iter": 10},
    "ContractiveAutoencoder": {"n_components": 3, "hidden_layer_sizes": (8,), "max_iter": 30},
    "DenoisingAutoencoder": {"n_components": 3, "hidden_layer_sizes": (8,), "max_iter": 30},
    "DocumentAutoencoder": {"n_components": 3, "hidden_layer_sizes": (8,), "max_iter": 20},
    "SparseAutoencoder": {"n_components": 3, "hidden_layer_sizes": (8,), "max_iter": 30},
    "StackedAutoencoder": {"n_components": 3, "hidden_layer_sizes": (8,), "max_iter": 30},
    # 100 epochs: check_classifiers_train wants a training accuracy above 0.83.
    "StackedAutoencoderClassifier": {"hidden_layer_sizes": (8,), "max_iter": 100},
    "VariationalAutoencoder": {"n_components": 2, "hidden_layer_sizes": (8,), "max_iter": 30},
    "CDAE": {"n_components": 4, "max_iter": 20},
    "EASE": {"alpha": 1.0},
    "MultDAE": {"n_components": 3, "hidden_layer_sizes": (8,), "max_iter": 20},
    "MultVAE": {"n_components": 3, "hidden_layer_sizes": (8,), "max_iter": 20},
    "MDACFRegressor": {"n_components": 2, "max_iter": 5},
    "CDL": {"n_components": 3, "hidden_layer_sizes": (8,), "max_iter": 5},
}

# name -> {check name: reason}. Every entry must say why the check cannot honestly pass.
EXPECTED_FAILED_CHECKS = {}

# AutoRecRegressor's X is exactly (user id, item id): these checks only fit X of width 1, 3,
# 4, 5 or 10 (check_array_api_input: 10; it runs when SCIPY_ARRAY_API=1), so they cannot
# honestly pass. tests/recommenders/test_autorec.py tests the same properties on two columns.
_AUTOREC_WIDTH = "fits X of width != 2; AutoRec's X is exactly (user id, item id)"
EXPECTED_FAILED_CHECKS["AutoRecRegressor"] = {
    "check_array_api_input": _AUTOREC_WIDTH,
    "check_dict_unchanged": _AUTOREC_WIDTH,
    "check_dont_overwrite_parameters": _AUTOREC_WIDTH,
    "check_dtype_object": _AUTOREC_WIDTH,
    "check_estimators_dtypes": _AUTOREC_WIDTH,
    "check_estimators_nan_inf": _AUTOREC_WIDTH,
    "check_estimators_pickle": _AUTOREC_WIDTH,
    "check_f_contiguous_array_estimator": _AUTOREC_WIDTH,
    "check_fit2d_1sample": _AUTOREC_WIDTH,
    "check_fit2d_predict1d": _AUTOREC_WIDTH,
    "check_fit_score_takes_y": _AUTOREC_WIDTH,
    "check_methods_sample_order_invariance": _AUTOREC_WIDTH,
    "check_methods_subset_invariance": _AUTOREC_WIDTH,
    "check_n_features_in_after_fitting": _AUTOREC_WIDTH,
    "check_non_transformer_estimators_n_iter": _AUTOREC_WIDTH,
    "check_pipeline_consistency": _AUTOREC_WIDTH,
    "check_positive_only_tag_during_fit": _AUTOREC_WIDTH,
    "check_regressor_data_not_an_array": _AUTOREC_WIDTH,
    "check_regressors_int": _AUTOREC_WIDTH,
    "check_regressors_no_decision_function": _AUTOREC_WIDTH,
    "check_regressors_train": _AUTOREC_WIDTH,
    "check_supervised_y_2d": _AUTOREC_WIDTH,
}

# MDACFRegressor's X is (user id, item id) like AutoRec's: the same checks fit other widths.
# tests/recommenders/test_hybrid.py tests the same properties on two columns.
_MDACF_WIDTH = "fits X of width != 2; mDA-CF's X is exactly (user id, item id)"
EXPECTED_FAILED_CHECKS["MDACFRegressor"] = dict.fromkeys(
    EXPECTED_FAILED_CHECKS["AutoRecRegressor"], _MDACF_WIDTH)
