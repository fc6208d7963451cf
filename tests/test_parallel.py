"""Parallel and distributed model selection: loky processes and a dask.distributed cluster."""

import numpy as np
import pytest
from joblib import parallel_backend
from sklearn.model_selection import GridSearchCV

from skae import Autoencoder

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _search(n_jobs=2):
    return GridSearchCV(
        Autoencoder(hidden_layer_sizes=(16,), max_iter=5, random_state=0),
        {"n_components": [2, 4]}, cv=2, n_jobs=n_jobs,
    )


def test_dask_backend_gives_the_same_search_as_one_process(digits):
    import distributed  # in the tests extra: a missing install is a failure, not a skip
    X, _ = digits
    X = X[:300]
    serial = _search(n_jobs=1).fit(X)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        with parallel_backend("dask"):
            remote = _search().fit(X)
    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               serial.cv_results_["mean_test_score"], rtol=1e-6)
    np.testing.assert_array_equal(remote.best_estimator_.transform(X),
                                  serial.best_estimator_.transform(X))
