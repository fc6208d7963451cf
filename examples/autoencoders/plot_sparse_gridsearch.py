"""
Sparse codes, chosen by cross-validation
========================================

The design card's usage: a :class:`skae.SparseAutoencoder` inside a scikit-learn ``Pipeline``
in front of a support vector classifier, its code size chosen by ``GridSearchCV`` on the
digits. Then a look at what the L1 penalty ``Omega(h) = sum_k |h_k|`` does to the code and to
the filters, next to a plain :class:`skae.Autoencoder` trained with the same settings.
"""

# %%
# Grid search over the code size.
import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.svm import SVC

from skae import Autoencoder, SparseAutoencoder

torch.set_num_threads(1)
X, y = load_digits(return_X_y=True)
X = X / 16.0
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0,
                                                    stratify=y)
pipe = Pipeline([("ae", SparseAutoencoder(sparsity_weight=3e-3, max_iter=40, random_state=0)),
                 ("clf", SVC())])
search = GridSearchCV(pipe, {"ae__n_components": [8, 16, 32]}, cv=3).fit(X_train, y_train)
for size, score in zip(search.cv_results_["param_ae__n_components"],
                       search.cv_results_["mean_test_score"], strict=True):
    print(f"n_components={size:>3}: cross-validated accuracy {score:.3f}")
print(f"best {search.best_params_}, test accuracy {search.score(X_test, y_test):.3f}")

# %%
# How sparse is the code? Same network, same seed, with and without the penalty.
settings = dict(n_components=32, max_iter=50, random_state=0)
models = {
    "Autoencoder": Autoencoder(**settings).fit(X_train),
    "SparseAutoencoder": SparseAutoencoder(sparsity_weight=3e-3, **settings).fit(X_train),
}
print(f"{'model':<18} {'mean |h|':>9} {'h < 0.01':>9} {'test MSE':>9}")
for name, model in models.items():
    H = model.transform(X_test)
    print(f"{name:<18} {np.abs(H).mean():>9.3f} {np.mean(np.abs(H) < 0.01):>9.1%} "
          f"{-model.score(X_test):>9.4f}")

# %%
# The filters: each row of ``W`` as an 8x8 image.
import matplotlib.pyplot as plt  # noqa: E402

from skae.plotting import plot_filters, plot_loss_curve  # noqa: E402

for name, model in models.items():
    plot_filters(model, n_cols=8).suptitle(f"filters of {name}")
plot_loss_curve(models)
plt.show()
