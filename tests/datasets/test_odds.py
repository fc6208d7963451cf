"""``load_odds``: the ODDS files of the data home, and what a bad file or name gives."""

import numpy as np
import pytest
import scipy.io

from skae.datasets import ODDS_DATASETS, load_odds


@pytest.mark.parametrize("name", ["cardio", "breastw", "shuttle"])
def test_odds_facts(require_data, name):
    require_data(f"odds/{name}.mat")
    bunch = load_odds(name)
    n, d, k = ODDS_DATASETS[name]
    assert bunch.data.shape == (n, d) and bunch.data.dtype == np.float64
    assert bunch.target.dtype == np.int64 and set(np.unique(bunch.target)) == {0, 1}
    assert int(bunch.target.sum()) == k
    assert bunch.name == name and len(bunch.feature_names) == d
    X, y = load_odds(name, return_X_y=True)
    assert np.array_equal(X, bunch.data) and np.array_equal(y, bunch.target)


def test_odds_smtp_is_read_with_h5py(require_data):
    require_data("odds/smtp.mat")
    pytest.importorskip("h5py", reason="smtp.mat is a MATLAB 7.3 (HDF5) file")
    X, y = load_odds("smtp", return_X_y=True)
    assert X.shape == (95156, 3) and int(y.sum()) == 30


def test_odds_unknown_name_lists_the_sets(tmp_path):
    with pytest.raises(ValueError, match="Unknown ODDS set 'cardiac'.*annthyroid.*wbc"):
        load_odds("cardiac", data_home=tmp_path)


def test_odds_missing_file_says_where(tmp_path):
    with pytest.raises(FileNotFoundError, match="odds/wbc.mat"):
        load_odds("wbc", data_home=tmp_path)


def test_odds_file_that_is_not_the_set(tmp_path):
    (tmp_path / "odds").mkdir()
    X = np.zeros((214, 9))
    y = np.zeros((214, 1))
    y[:8] = 1  # glass has 9 outliers
    scipy.io.savemat(tmp_path / "odds" / "glass.mat", {"X": X, "y": y})
    with pytest.raises(ValueError, match="does not hold ODDS's 'glass'.*9 labels equal to 1"):
        load_odds("glass", data_home=tmp_path)
    y[8] = 1
    scipy.io.savemat(tmp_path / "odds" / "glass.mat", {"X": X, "y": y})
    assert load_odds("glass", data_home=tmp_path, return_X_y=True)[1].sum() == 9
    scipy.io.savemat(tmp_path / "odds" / "glass.mat", {"data": X})
    with pytest.raises(ValueError, match="no 'X' and 'y'"):
        load_odds("glass", data_home=tmp_path)
