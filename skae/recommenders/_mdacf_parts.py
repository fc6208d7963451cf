"""The closed-form pieces of :class:`~skae.MDACFRegressor`: what a side (users or items)
learned besides its factors, the ridge projection of the factors on the marginalized denoising
representation, and the residuals the factors are fitted to (Li, Kawale & Fu, CIKM 2015)."""

import numpy as np
import scipy.linalg

from skae.recommenders._side import TableIndex, check_feature_table

__all__ = []  # private: _Side, _Projection, feature_bias and helpers


class _Side:
    """What one side (users or items) learned besides its factors: its side-information table,
    the marginalized denoising layers and the projection of their representation onto the
    factors. Everything needed to give an id unseen in ``fit`` factors from its features."""

    def __init__(self, name, table, index, mappings, projection, n_rating_inputs,
                 bias_from_features=None):
        self.name, self.table, self.index = name, table, index
        self.mappings, self.projection = mappings, projection
        self.n_rating_inputs = n_rating_inputs
        # (coefficients, intercept) of the cold-start bias, see feature_bias; or None.
        self.bias_from_features = bias_from_features
        # The weight of the factors' prediction for cold-start ids, see cold_model_weight.
        self.model_weight = 1.0

    def factors_of(self, ids, encoder, factors, bias, table, estimator):
        """Factors [f, bias] of each id (zeros where unknown) and whether it has any; ids
        unseen in fit take them from their features, in ``table`` (given to predict) first."""
        codes = encoder.transform(ids)
        out = np.zeros((len(ids), factors.shape[1] + 1))
        seen = codes >= 0
        out[seen, :-1], out[seen, -1] = factors[codes[seen]], bias[codes[seen]]
        known = seen.copy()
        unseen = np.flatnonzero(~seen)
        name = f"{self.name}_features"
        lookups = [(self.index, self.table)]
        # A table passed to predict is checked whether or not an id needs it.
        if table is not None:
            if self.table is None:
                raise ValueError(f"{name} was given to predict, but {type(estimator).__name__} "
                                 f"was fitted without {name}: there is nothing to map them "
                                 "with.")
            t_ids, t_values = check_feature_table(table, name)
            if t_values.shape[1] != self.n_features:
                raise ValueError(f"{name} has {t_values.shape[1]} columns; the table given to "
                                 f"fit had {self.n_features}.")
            lookups.insert(0, (TableIndex(t_ids, len(t_values), name), t_values))
        if not unseen.size:
            return out, known
        distinct, inverse = np.unique(ids[unseen], return_inverse=True)
        features = np.zeros((len(distinct), self.n_features or 0))
        found = np.zeros(len(distinct), dtype=bool)
        for index, values in lookups:
            if index is None:
                continue
            rows = index.rows(distinct)
            take = (rows >= 0) & ~found
            features[take], found[take] = values[rows[take]], True
        if found.any():
            cold = np.zeros((len(distinct), out.shape[1]))
            cold[found] = self.cold_factors(features[found])
            out[unseen] = cold[inverse.ravel()]
            known[unseen] = found[inverse.ravel()]
        return out, known

    @property
    def n_features(self):
        return None if self.table is None else self.table.shape[1]

    def cold_factors(self, features):
        """Factors (with the bias last) of ids with no rating in ``fit``, from their features.

        Such an id has an empty (all-zero) row of ratings in the mDA's input, so the first
        layer only reads its features: ``mappings[0]`` holds just those rows and the bias, and
        ``projection`` lacks the rows that would multiply the empty ratings.
        """
        x = np.asarray(features, dtype=np.float64)
        parts, h = [x], x
        for w in self.mappings:
            h = np.tanh(h @ w[:-1] + w[-1])
            parts.append(h)
        factors = np.hstack(parts) @ self.projection[:-1] + self.projection[-1]
        if self.bias_from_features is not None:
            coef, intercept = self.bias_from_features
            factors[:, -1] = x @ coef + intercept
        return factors


def feature_bias(features, rows, residuals):
    """How far an id's ratings lie from the other side's mean ratings, predicted from its
    features: ``(coefficients, intercept)`` of a ridge regression of each id's mean residual
    on its features, its penalty chosen by leave-one-out over the ids (closed form, as
    :class:`~sklearn.linear_model.RidgeCV` does).

    ``features`` holds a row per id, ``rows`` the id of each rating and ``residuals`` each
    rating minus the mean rating of the other side's id (the item's mean, for a user).
    The cold-start bias: an id known only by its features then shifts the other side's mean
    ratings by what its features say, rather than by a bias projected from a representation
    learned mostly from ratings it does not have.
    """
    from sklearn.linear_model import RidgeCV

    counts = np.bincount(rows, minlength=features.shape[0])
    target = np.bincount(rows, residuals, features.shape[0]) / np.maximum(counts, 1)
    x = np.asarray(features.todense() if hasattr(features, "todense") else features,
                   dtype=np.float64)
    model = RidgeCV(alphas=np.logspace(-1, 4, 11)).fit(x, target)
    return np.asarray(model.coef_, dtype=np.float64), float(model.intercept_)


class _Projection:
    """Ridge regression of the factors on a fixed representation ``H``, factorised once.

    Solved in the primal (``(H^T H + a I)^-1 H^T F``) or, when ``H`` has more columns than
    rows, in the dual (``H^T (H H^T + a I)^-1 F``): the same solution, the smaller system.
    The fitted values handed back are leave-one-out predictions: row ``r``'s prior mean is
    predicted by the regression fitted without row ``r``, so that a representation wide
    enough to memorise the factors cannot turn the penalty toward the prior into none.
    For ridge regression they come in closed form from the hat matrix ``S``,
    ``(S F - diag(S) F) / (1 - diag(S))`` (e.g. Hastie, Tibshirani & Friedman, ESL, 7.10).
    The divisor is floored at ``1 - max_leverage``: a row of leverage near 1 (a representation
    so wide that it singles the row out, as the rating values do) would otherwise amplify the
    others' factors into its prior without bound, and the alternating (and Gibbs) updates,
    each row pulled toward what the others predict, diverged on MovieLens with
    ``input_ratings="values"``. Leverages stayed below 0.3 with the default input and with
    features only, where the floor changes nothing.
    """

    max_leverage = 0.5

    def __init__(self, H, penalty):
        self.H = np.hstack([H, np.ones((H.shape[0], 1))])
        self.dual = self.H.shape[1] > self.H.shape[0]
        gram = self.H @ self.H.T if self.dual else self.H.T @ self.H
        gram[np.diag_indices_from(gram)] += penalty
        self.factor = scipy.linalg.cho_factor(gram)
        if self.dual:
            self.hat = self.H @ self.H.T @ scipy.linalg.cho_solve(self.factor, np.eye(len(gram)))
        else:
            self.hat = self.H @ scipy.linalg.cho_solve(self.factor, self.H.T)
        self.leverage = np.diag(self.hat).copy()

    def fit(self, F):
        """The projection ``A`` (with a bias row last) and the leave-one-out fits of ``F``."""
        if self.dual:
            A = self.H.T @ scipy.linalg.cho_solve(self.factor, F)
        else:
            A = scipy.linalg.cho_solve(self.factor, self.H.T @ F)
        fitted = self.hat @ F
        divisor = np.maximum(1.0 - self.leverage, 1.0 - self.max_leverage)
        loo = (fitted - self.leverage[:, None] * F) / divisor[:, None]
        return A, loo


def _with_ones(factors):
    """``[f, 1]``: the other side's factors with their bias column replaced by 1, so that the
    bias of this side is fitted as one more coefficient."""
    out = factors.copy()
    out[:, -1] = 1.0
    return out


def _residuals(ratings, mu, column_bias):
    """A copy of CSR ``ratings`` whose entries are ``r - mu - column_bias[column]``: what the
    factors and biases of the rows are left to explain."""
    out = ratings.astype(np.float64)
    out.data -= mu + column_bias[ratings.indices]
    return out


#: Pairs whose factors are gathered at once hold at most this many numbers (32 MiB).
BLOCK_NUMBERS = 2 ** 22


def pairs_per_block(width):
    """How many pairs of factors ``width`` wide to gather at a time: the factors of every
    posterior draw lie side by side, so a row can be thousands of numbers wide."""
    return max(1, BLOCK_NUMBERS // max(1, width))


def cold_model_weight(cold_factors, item_factors, item_bias, mu, item_mean, u, i, y):
    """How much of the model's say a cold-start user's rating bears out, in ``[0, 1]``.

    A user known only by its features is predicted as ``a + g (m - a)``: ``a`` its item's
    mean shifted by its bias (:func:`feature_bias`), ``m`` the model's prediction from its
    cold-start factors. ``g`` is the least-squares slope of ``r - a`` on ``m - a`` over the
    ratings of fit, each user predicted as if cold (``cold_factors``, from its features
    alone): 1 where the features tell the users' tastes (the factors), near 0 where they
    tell little beyond the bias. Stacking of two predictors (Wolpert, 1992) with one weight.
    """
    a = item_mean[i] + cold_factors[u, -1]
    e = mu + item_bias[i] - item_mean[i]  # m - a
    step = pairs_per_block(cold_factors.shape[1])
    for s in range(0, len(u), step):  # the factors of a block of ratings at a time
        e[s:s + step] += np.einsum("ij,ij->i", cold_factors[u[s:s + step], :-1],
                                   item_factors[i[s:s + step]])
    denominator = float(e @ e)
    if denominator <= 0:
        return 1.0
    return float(np.clip((y - a) @ e / denominator, 0.0, 1.0))
