"""Generative and discriminative classifiers behind one scikit-learn API, for putting the syllabus's comparison
table to the test.

A generative classifier models p(x | y) and p(y) and classifies by Bayes' rule,

    p(y | x) = p(x | y) p(y) / sum_k p(x | k) p(k),

so it can also sample new x (`sample`), score how likely an input is under the data (`score_samples`, log p(x)),
and classify inputs with missing features by integrating them out: for a Gaussian p(x | y) = N(mu, Sigma) the
marginal of the observed part o is N(mu_o, Sigma_oo) (Bishop, PRML eq. 2.92-2.93). A discriminative classifier
models p(y | x) only; with missing features it needs them filled in first (here: the training mean).

The Gaussian ones wrap scikit-learn's own estimators, so their accuracy on complete data is exactly scikit-learn's:
GaussianNB (diagonal covariance per class), LDA (one shared covariance), QDA (one covariance per class, regularised),
plus a Gaussian mixture per class and a small class-conditional VAE (the deep generative classifier).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.mixture import GaussianMixture
from sklearn.naive_bayes import GaussianNB
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from gen_core.bayes import bayes_posterior
from gen_core.cvae_classifier import CVAEClassifier
from gen_core.estimator_contract import MissingFeaturesTag, validated_fit_data, validated_input

RIDGE = 1e-3  # added to covariance diagonals for densities: digits has always-blank pixels (zero variance)


# --- training data with missing features ---------------------------------------------------------------------

def class_mean_filled(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Training data with each missing (NaN) feature filled with its class's mean of that feature (the overall
    mean where the class never shows it, 0 where no row does). A simple, stated choice for fitting from
    incomplete rows; at predict time the generative classifiers integrate missing features out instead."""
    if not np.isnan(X).any():
        return X
    X = X.copy()
    overall = np.nan_to_num(np.nanmean(np.where(np.isnan(X).all(0), 0.0, X), 0))
    for k in np.unique(y):
        rows = y == k
        part = X[rows]
        seen = ~np.isnan(part).all(0)
        means = overall.copy()
        means[seen] = np.nanmean(part[:, seen], 0)
        X[rows] = np.where(np.isnan(part), means, part)
    return X


# --- Gaussian densities with missing features ----------------------------------------------------------------

def gaussian_logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray, chunk: int = 256,
                    cache: dict | None = None) -> np.ndarray:
    """log N(x; mean, cov) for rows of x (N, D), using only each row's observed (non-NaN) features: the marginal
    N(mean_o, cov_oo).

    Rows are handled in batches without grouping by missing pattern: each row's covariance is cov with its hidden
    rows and columns replaced by the identity, and its hidden differences set to 0. The identity block adds
    nothing to the log-determinant or the quadratic form, so this is exactly the marginal's density. A diagonal
    cov (naive Bayes) needs no factorisation at all; `cache` keeps the per-row factors of a covariance shared by
    several classes (LDA) for the next call with the same x."""
    x = np.asarray(x, dtype=float)
    d = x.shape[1]
    observed = ~np.isnan(x)
    seen = observed.astype(float)
    base = cov + RIDGE * np.eye(d)
    diff = np.where(observed, x - mean, 0.0)
    if not np.any(base - np.diag(np.diag(base))):  # diagonal: features independent, the marginal just drops terms
        var = np.diag(base)
        return -0.5 * (seen * (diff ** 2 / var + np.log(2 * np.pi * var))).sum(1)
    key = (cov.__array_interface__["data"][0], x.__array_interface__["data"][0], cov.shape, x.shape)  # same memory
    chols = cache.get(key) if cache is not None else None
    if chols is None:
        eye = np.eye(d)
        chols = []
        for start in range(0, len(x), chunk):
            s = seen[start:start + chunk]
            covs = base * (s[:, :, None] * s[:, None, :]) + eye * (1 - s)[:, None, :]  # hidden block -> identity
            chols.append(np.linalg.cholesky(covs))
        if cache is not None:
            cache[key] = chols
    out = np.empty(len(x))
    for k, chol in enumerate(chols):
        rows = slice(k * chunk, k * chunk + len(chol))
        solved = np.linalg.solve(chol, diff[rows][..., None])[..., 0]
        logdet = np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(1)
        out[rows] = -0.5 * (solved ** 2).sum(1) - logdet - 0.5 * seen[rows].sum(1) * np.log(2 * np.pi)
    return out


@dataclass
class Mixture:
    """One class's density: a mixture of Gaussians (a single Gaussian is a mixture of one)."""
    weights: np.ndarray   # (M,)
    means: np.ndarray     # (M, D)
    covs: np.ndarray      # (M, D, D)

    def logpdf(self, x: np.ndarray, cache: dict | None = None) -> np.ndarray:
        parts = [np.log(w) + gaussian_logpdf(x, m, c, cache=cache)
                 for w, m, c in zip(self.weights, self.means, self.covs)]
        return logsumexp(np.stack(parts, 1), axis=1)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        which = rng.choice(len(self.weights), size=n, p=self.weights / self.weights.sum())
        out = np.empty((n, self.means.shape[1]))
        for m in np.unique(which):
            rows = which == m
            out[rows] = rng.multivariate_normal(self.means[m], self.covs[m], size=int(rows.sum()),
                                                method="eigh", check_valid="ignore")
        return out


class GenerativeMixin(MissingFeaturesTag):
    """Bayes' rule over `self._densities()` (one Mixture per class) and `self._log_priors()`: sampling, log p(x),
    and classification that integrates out missing (NaN) features. Complete inputs go to the wrapped estimator."""

    generative = True

    def fit(self, X, y, **kwargs):
        """The wrapped estimator's fit, on the training rows with missing features filled (class_mean_filled)."""
        X, y = validated_fit_data(self, X, y)
        return super().fit(class_mean_filled(X, y), y, **kwargs)

    def _densities(self) -> list[Mixture]:
        raise NotImplementedError

    def _log_priors(self) -> np.ndarray:
        raise NotImplementedError

    def joint_log_likelihood(self, X) -> np.ndarray:
        """log p(x, y) (N, K), missing features integrated out."""
        X = validated_input(self, X)
        cache: dict = {}  # LDA's classes share one covariance: factor each row's marginal once, not per class
        return np.stack([d.logpdf(X, cache) for d in self._densities()], 1) + self._log_priors()

    def predict_proba(self, X):
        X = validated_input(self, X)
        if not np.isnan(X).any():
            return super().predict_proba(X)
        return bayes_posterior(self.joint_log_likelihood(X))

    def predict(self, X):
        X = validated_input(self, X)
        if not np.isnan(X).any():
            return super().predict(X)
        return self.classes_[self.predict_proba(X).argmax(1)]

    def predict_log_proba(self, X):
        X = validated_input(self, X)
        if not np.isnan(X).any() and hasattr(super(), "predict_log_proba"):
            return super().predict_log_proba(X)
        joint = self.joint_log_likelihood(X)
        return joint - logsumexp(joint, axis=1, keepdims=True)

    def score_samples(self, X) -> np.ndarray:
        """log p(x) = log sum_y p(x | y) p(y), per row."""
        return logsumexp(self.joint_log_likelihood(X), axis=1)

    def sample(self, n: int, y=None, random_state=None) -> tuple[np.ndarray, np.ndarray]:
        """n draws (X, y) from p(x, y); with y given (a class label), n draws from p(x | y)."""
        rng = np.random.default_rng(random_state)
        densities = self._densities()
        if y is None:
            priors = np.exp(self._log_priors())
            index = rng.choice(len(self.classes_), size=n, p=priors / priors.sum())
        else:
            index = np.full(n, list(self.classes_).index(y))
        X = np.empty((n, densities[0].means.shape[1]))
        for k in np.unique(index):
            rows = index == k
            X[rows] = densities[k].sample(int(rows.sum()), rng)
        return X, self.classes_[index]


class DiscriminantMissingMixin(GenerativeMixin):
    """LDA's and QDA's decision_function for rows with missing features: the log posterior (its log-odds for two
    classes), which ranks classes as scikit-learn's does. `expected_complete` fills missing features with their
    expectation given the observed ones, E[x_h | x_o] = sum_k p(k | x_o) (mu_kh + S_ho S_oo^-1 (x_o - mu_ko))
    (Bishop, PRML eq. 2.81), for LDA's transform."""

    def decision_function(self, X):
        X = validated_input(self, X)
        if not np.isnan(X).any():
            return super().decision_function(X)
        log_posterior = self.predict_log_proba(X)
        return log_posterior[:, 1] - log_posterior[:, 0] if len(self.classes_) == 2 else log_posterior

    def expected_complete(self, X: np.ndarray) -> np.ndarray:
        posterior = np.exp(self.predict_log_proba(X))
        filled = X.copy()
        densities = self._densities()
        d = X.shape[1]
        for i in np.flatnonzero(np.isnan(X).any(1)):
            hidden = np.isnan(X[i])
            seen = ~hidden
            estimate = np.zeros(hidden.sum())
            for k, density in enumerate(densities):
                mean, cov = density.means[0], density.covs[0] + RIDGE * np.eye(d)
                gain = np.linalg.solve(cov[np.ix_(seen, seen)], cov[np.ix_(seen, hidden)]).T if seen.any() else \
                    np.zeros((hidden.sum(), 0))
                estimate += posterior[i, k] * (mean[hidden] + gain @ (X[i, seen] - mean[seen]))
            filled[i, hidden] = estimate
        return filled


class NaiveBayes(GenerativeMixin, GaussianNB):
    """Gaussian naive Bayes: each feature independent given the class."""

    def _densities(self):
        return [Mixture(np.ones(1), self.theta_[k][None], np.diag(self.var_[k])[None]) for k in range(len(self.classes_))]

    def _log_priors(self):
        return np.log(self.class_prior_)


class LDA(DiscriminantMissingMixin, LinearDiscriminantAnalysis):
    """Linear discriminant analysis: Gaussian classes sharing one covariance, so boundaries are linear."""

    def __init__(self, solver="svd", shrinkage=None, priors=None, n_components=None, store_covariance=True,
                 tol=1e-4, covariance_estimator=None):
        super().__init__(solver=solver, shrinkage=shrinkage, priors=priors, n_components=n_components,
                         store_covariance=store_covariance, tol=tol, covariance_estimator=covariance_estimator)

    def transform(self, X):
        """The discriminant projection; rows with missing features are projected at their expected completion."""
        X = validated_input(self, X)
        if np.isnan(X).any():
            X = self.expected_complete(X)
        return super().transform(X)

    def _densities(self):
        shared = self.covariance_[None]  # one object for every class, so the factor cache can reuse it
        return [Mixture(np.ones(1), self.means_[k][None], shared) for k in range(len(self.classes_))]

    def _log_priors(self):
        return np.log(self.priors_)


class QDA(DiscriminantMissingMixin, QuadraticDiscriminantAnalysis):
    """Quadratic discriminant analysis: a full covariance per class, shrunk towards the identity by reg_param."""

    def __init__(self, *, solver="svd", shrinkage=None, priors=None, reg_param=0.1, store_covariance=True, tol=1e-4,
                 covariance_estimator=None):
        super().__init__(solver=solver, shrinkage=shrinkage, priors=priors, reg_param=reg_param,
                         store_covariance=store_covariance, tol=tol, covariance_estimator=covariance_estimator)

    def fit(self, X, y):
        """scikit-learn's QDA; when a class has no more examples than features (its covariance would be singular,
        which scikit-learn 1.9 refuses), the covariances are shrunk by Ledoit-Wolf (solver "eigen") instead, and
        `shrunk_` says so."""
        X, y = validated_fit_data(self, X, y)
        counts = np.unique(y, return_counts=True)[1]
        self.shrunk_ = bool(self.solver == "svd" and counts.min() <= X.shape[1])
        if not self.shrunk_:
            return super().fit(X, y)
        solver, shrinkage = self.solver, self.shrinkage
        self.solver, self.shrinkage = "eigen", "auto"
        try:
            try:
                return super().fit(X, y)
            except np.linalg.LinAlgError:  # Ledoit-Wolf estimated too little shrinkage from 2 or 3 examples
                self.shrinkage = 0.5
                return super().fit(X, y)
        finally:
            self.solver, self.shrinkage = solver, shrinkage  # the parameters a clone sees stay as given

    def _densities(self):
        return [Mixture(np.ones(1), self.means_[k][None], np.asarray(self.covariance_[k])[None])
                for k in range(len(self.classes_))]

    def _log_priors(self):
        return np.log(self.priors_)


class ClassGMM(GenerativeMixin, ClassifierMixin, BaseEstimator):
    """A Gaussian mixture per class (scikit-learn's GaussianMixture), so one class may have several blobs.
    `reg_covar` is relative: that share of the data's mean feature variance is added to every covariance's diagonal
    (digits: ~1, which takes 5-fold accuracy from 0.95 to 0.99; a 2-D toy: a few hundredths)."""

    def __init__(self, n_components: int = 3, covariance_type: str = "full", reg_covar: float = 0.05,
                 random_state: int = 0):
        self.n_components = n_components
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.random_state = random_state

    def fit(self, X, y):
        X, y = validated_fit_data(self, X, y)
        X = class_mean_filled(X, y)
        self.classes_ = np.unique(y)
        self.mixtures_ = []
        reg = self.reg_covar * float(X.var(0).mean())
        for k in self.classes_:
            Xk = X[y == k]
            m = GaussianMixture(min(self.n_components, len(Xk)), covariance_type=self.covariance_type,
                                reg_covar=reg, random_state=self.random_state).fit(Xk)
            self.mixtures_.append(m)
        self.class_prior_ = np.array([(y == k).mean() for k in self.classes_])
        return self

    def _densities(self):
        out = []
        for m in self.mixtures_:
            d = m.means_.shape[1]
            covs = {"full": lambda c: c, "diag": lambda c: np.stack([np.diag(v) for v in c]),
                    "spherical": lambda c: np.stack([v * np.eye(d) for v in c]),
                    "tied": lambda c: np.repeat(c[None], len(m.weights_), 0)}[m.covariance_type](m.covariances_)
            out.append(Mixture(m.weights_, m.means_, covs))
        return out

    def _log_priors(self):
        return np.log(self.class_prior_)

    def predict_proba(self, X):
        return bayes_posterior(self.joint_log_likelihood(X))

    def predict(self, X):
        probabilities = self.predict_proba(X)
        return self.classes_[probabilities.argmax(1)]


class MeanImputed(MissingFeaturesTag, ClassifierMixin, BaseEstimator):
    """A discriminative classifier that fills missing (NaN) features with the training mean first: all it can
    do, since it has no model of x to integrate them out with. `estimator` defaults to scikit-learn's
    LogisticRegression."""

    generative = False

    def __init__(self, estimator=None):
        self.estimator = estimator

    def fit(self, X, y):
        from sklearn.base import clone
        X, y = validated_fit_data(self, X, y)
        self.imputer_ = SimpleImputer(strategy="mean", keep_empty_features=True).fit(X)
        estimator = self.estimator if self.estimator is not None else LogisticRegression()
        self.model_ = clone(estimator).fit(self.imputer_.transform(X), y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        X = validated_input(self, X)  # first: NotFittedError, not an AttributeError, before fit
        return self.model_.predict_proba(self.imputer_.transform(X))

    def predict(self, X):
        X = validated_input(self, X)
        return self.model_.predict(self.imputer_.transform(X))


# --- the line-up ---------------------------------------------------------------------------------------------

GENERATIVE = ("Naive Bayes", "LDA", "QDA", "Gaussian mixture", "Deep generative (CVAE)")
DISCRIMINATIVE = ("Logistic regression", "Logistic regression (no penalty)", "Linear SVM", "RBF SVM", "Decision tree", "Random forest", "Neural net")


def make(name: str, seed: int = 0):
    """A fresh, unfitted classifier by name. Discriminative ones impute missing features with the mean."""
    if name == "Naive Bayes":
        return NaiveBayes()
    if name == "LDA":
        return LDA()
    if name == "QDA":
        return QDA(reg_param=0.1)
    if name == "Gaussian mixture":
        return ClassGMM(n_components=3, random_state=seed)
    if name == "Deep generative (CVAE)":
        return CVAEClassifier(random_state=seed)
    # scikit-learn's defaults, as the accuracy bar compares with (logistic regression and the net on scaled inputs)
    discriminative = {
        # standardised first (lbfgs then converges in a few dozen iterations), with scikit-learn's own tolerance:
        # digits' test split 0.9667, exactly scikit-learn's standardised LogisticRegression (tol 1e-2 gave 0.9583)
        "Logistic regression": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)),
        # Ng & Jordan's logistic regression: (almost) no L2 penalty, so it has nothing to lean on with few examples
        "Logistic regression (no penalty)": lambda: make_pipeline(StandardScaler(),
                                                                  LogisticRegression(C=1e4, max_iter=5000)),
        # an SVM gives margins, not probabilities: Platt-style calibration on held-out folds turns them into p(y | x)
        "Linear SVM": lambda: CalibratedClassifierCV(SVC(kernel="linear", random_state=seed), ensemble=False),
        "RBF SVM": lambda: CalibratedClassifierCV(SVC(kernel="rbf", random_state=seed), ensemble=False),
        "Decision tree": lambda: DecisionTreeClassifier(random_state=seed),
        "Random forest": lambda: RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=2),
        "Neural net": lambda: make_pipeline(StandardScaler(), MLPClassifier((64,), max_iter=500, random_state=seed)),
    }
    if name not in discriminative:
        raise ValueError(f"unknown classifier {name!r}; choose one of {', '.join(GENERATIVE + DISCRIMINATIVE)}")
    return MeanImputed(discriminative[name]())


def is_generative(name: str) -> bool:
    return name in GENERATIVE
