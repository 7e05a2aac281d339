"""The experiments behind the generative-vs-discriminative page, one function per row of the syllabus's table.
Everything is NumPy in, NumPy out, seeded, and cheap enough to run on first view (the page caches results).

- `decision_surfaces`: p(y | x) over a grid of a 2-D set, per model.
- `learning_curves`: test accuracy against training size, over resamples (Ng & Jordan, 2001: the generative model
  reaches its asymptote with O(log D) examples, the discriminative one with O(D), but to a lower error).
- `missing_features`: accuracy as a growing share of test features is hidden.
- `irrelevant_features`: accuracy as pure-noise features are appended.
- `outlier_scores`: how well log p(x) (generative) or the top class probability (discriminative) separates test
  data from inputs that are not like it, as ROC curves and AUROC.
"""
from __future__ import annotations

import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import StratifiedKFold, cross_val_score

from gen_core import classifiers
from gen_core.kept import kept_on_disk


def quiet_fit(model, X, y):
    """fit, with scikit-learn's convergence and collinearity warnings silenced: on 10 examples they are expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        return model.fit(X, y)


# Two threads for predicting over a grid, shared by every caller in the process (so bounded however many sessions ask)
_GRID_THREADS = ThreadPoolExecutor(2, thread_name_prefix="genlab-grid")


def predict_proba_in_parts(model, X: np.ndarray, parts: int = 2) -> np.ndarray:
    """model.predict_proba(X), X cut in `parts` row blocks predicted on two threads. scikit-learn's SVM predicts in
    libsvm with the GIL released, so the RBF SVM's p(y | x) over the page's 70 x 70 grid takes about half the time
    on two cores (0.17-0.24 -> 0.095 s on the 10-class digits); rows are independent, so the result is the same."""
    blocks = np.array_split(X, parts)
    return np.concatenate(list(_GRID_THREADS.map(model.predict_proba, blocks)))


def subsample(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """n row indices with every class present at least twice when n allows (QDA and friends need 2 per class),
    the rest drawn uniformly."""
    classes = np.unique(y)
    per_class = 2 if n >= 2 * len(classes) else 1
    first = np.concatenate([rng.choice(np.flatnonzero(y == k), per_class, replace=False) for k in classes])
    rest = rng.choice(np.setdiff1d(np.arange(len(y)), first), max(0, n - len(first)), replace=False)
    return np.concatenate([first, rest])


def cv_accuracy(name: str, X: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0) -> float:
    """Mean accuracy over shuffled, stratified k-fold cross-validation."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = cross_val_score(classifiers.make(name, seed), X, y,
                                 cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
    return float(scores.mean())


def decision_surfaces(names, X_train, y_train, X_test, y_test, n_train: int, seed: int = 0, resolution: int = 70,
                      extent: tuple[float, float, float, float] | None = None) -> dict:
    """Fit each model on n_train points and evaluate p(y | x) on a resolution^2 grid. Returns the grid axes, the
    training rows used, and per model the probability of each class on the grid (K, R, R) and test accuracy."""
    rng = np.random.default_rng(seed)
    rows = subsample(y_train, min(n_train, len(y_train)), rng)
    Xs, ys = X_train[rows], y_train[rows]
    x0, x1, y0, y1 = extent or (*(np.percentile(X_train[:, 0], [0.5, 99.5]) + [-0.5, 0.5]),
                                *(np.percentile(X_train[:, 1], [0.5, 99.5]) + [-0.5, 0.5]))
    gx, gy = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    grid = np.stack(np.meshgrid(gx, gy), -1).reshape(-1, 2)
    out = {"gx": gx, "gy": gy, "X": Xs, "y": ys, "models": {}}
    for name in names:
        try:
            model = quiet_fit(classifiers.make(name, seed), Xs, ys)
        except ValueError as error:  # e.g. QDA with one point in a class: its covariance is undefined
            out["models"][name] = {"error": f"{name} cannot be fitted on these {len(ys)} points: {error}"}
            continue
        proba = predict_proba_in_parts(model, grid).T.reshape(-1, resolution, resolution)
        out["models"][name] = {"proba": proba, "accuracy": float((model.predict(X_test) == y_test).mean())}
    return out


def curve_sizes(n_available: int, classes: int, points: int = 9) -> tuple[int, ...]:
    """The training sizes of a learning curve: `points` sizes evenly spaced on a log scale, from two per class (at
    least 8) to all the data or 1000."""
    return tuple(int(s) for s in np.unique(np.geomspace(max(8, 2 * classes), min(n_available, 1000), points).round()))


def learning_curves(names, X_train, y_train, X_test, y_test, sizes, resamples: int = 10, seed: int = 0) -> dict:
    """Test accuracy (resamples, len(sizes)) per model, each resample a fresh random training subset."""
    rng = np.random.default_rng(seed)
    subsets = [[subsample(y_train, n, rng) for n in sizes] for _ in range(resamples)]
    out = {}
    for name in names:
        acc = np.empty((resamples, len(sizes)))
        for r in range(resamples):
            for j, rows in enumerate(subsets[r]):
                model = quiet_fit(classifiers.make(name, seed + r), X_train[rows], y_train[rows])
                acc[r, j] = (model.predict(X_test) == y_test).mean()
        out[name] = acc
    return out


def crossover(sizes, generative: np.ndarray, discriminative: np.ndarray) -> dict | None:
    """Ng & Jordan's crossover in mean accuracy: the sizes at which the generative model leads in its last lead
    before the discriminative model goes ahead for good, and the size from which it stays ahead. None when the
    generative model never leads or still leads at the largest size."""
    lead = generative.mean(0) > discriminative.mean(0)
    if not lead.any() or lead[-1]:
        return None
    last = int(np.flatnonzero(lead).max())
    first = last
    while first > 0 and lead[first - 1]:
        first -= 1
    return {"leads_from": int(sizes[first]), "leads_to": int(sizes[last]), "overtaken_at": int(sizes[last + 1])}


MISSING_FRACTIONS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)  # shares of test features hidden
NOISE_FEATURES = (0, 2, 5, 10, 20, 50, 100)                              # pure-noise features appended


def hide(X: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """A copy of X with `fraction` of each row's features set to NaN (missing), chosen at random per row."""
    X = X.astype(float).copy()
    d = X.shape[1]
    k = int(round(fraction * d))
    if k:
        hidden = np.argsort(rng.random((len(X), d)), axis=1)[:, :k]
        np.put_along_axis(X, hidden, np.nan, axis=1)
    return X


def missing_features(names, X_train, y_train, X_test, y_test, fractions, seed: int = 0) -> dict:
    """Accuracy per model at each fraction of hidden test features (models trained on complete data)."""
    rng = np.random.default_rng(seed)
    hidden = [hide(X_test, f, rng) for f in fractions]
    out = {}
    for name in names:
        model = quiet_fit(classifiers.make(name, seed), X_train, y_train)
        out[name] = np.array([(model.predict(Xh) == y_test).mean() for Xh in hidden])
    return out


def with_noise_features(X: np.ndarray, k: int, scale: float, rng: np.random.Generator) -> np.ndarray:
    return np.hstack([X, rng.normal(0, scale, (len(X), k))]) if k else X


def irrelevant_features(names, X_train, y_train, X_test, y_test, ks, n_train: int | None = None,
                        seed: int = 0) -> dict:
    """Accuracy per model with k pure-noise features appended (same spread as the real ones), for each k."""
    rng = np.random.default_rng(seed)
    rows = subsample(y_train, n_train, rng) if n_train and n_train < len(y_train) else np.arange(len(y_train))
    scale = float(X_train.std())
    out = {name: np.empty(len(ks)) for name in names}
    for j, k in enumerate(ks):
        Xtr = with_noise_features(X_train[rows], k, scale, rng)
        Xte = with_noise_features(X_test, k, scale, rng)
        for name in names:
            model = quiet_fit(classifiers.make(name, seed), Xtr, y_train[rows])
            out[name][j] = (model.predict(Xte) == y_test).mean()
    return out


def outlier_scores(names, X_train, y_train, X_in, X_out, seed: int = 0) -> dict:
    """For each model, a score per input where higher means "looks like the data": log p(x) for generative
    models, the top class probability for discriminative ones; with the ROC curve and AUROC of telling X_in
    (label 1) from X_out (label 0)."""
    truth = np.r_[np.ones(len(X_in)), np.zeros(len(X_out))]
    out = {}
    for name in names:
        model = quiet_fit(classifiers.make(name, seed), X_train, y_train)
        both = np.vstack([X_in, X_out])
        score = model.score_samples(both) if classifiers.is_generative(name) else model.predict_proba(both).max(1)
        fpr, tpr, _ = roc_curve(truth, score)
        out[name] = {"auroc": float(roc_auc_score(truth, score)), "fpr": fpr, "tpr": tpr,
                     "kind": "log p(x)" if classifiers.is_generative(name) else "max p(y | x)"}
    return out


# --- data ------------------------------------------------------------------------------------------------------

SYNTHETIC = "two correlated Gaussians (adjustable)"
MAX_TRAIN = {"digits": None, "shapes": 2000}  # QDA and the SVMs on 6000 x 784 would not fit the 3 s budget


def gaussian_task(dim: int = 10, separation: float = 1.5, correlation: float = 0.6, n: int = 4000,
                  seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Two classes N(+-mu, Sigma) in `dim` dimensions with Sigma_ij = correlation^|i-j| (an AR(1) covariance) and
    mu along the first axis at `separation` standard deviations apart. Correlation breaks naive Bayes's
    independence assumption, which is what lets logistic regression overtake it with enough data."""
    rng = np.random.default_rng(seed)
    index = np.arange(dim)
    cov = correlation ** np.abs(index[:, None] - index[None])
    mean = np.zeros(dim)
    mean[: max(1, dim // 2)] = separation / 2 / np.sqrt(max(1, dim // 2))
    y = rng.integers(0, 2, n)
    X = rng.multivariate_normal(np.zeros(dim), cov, n) + np.where(y[:, None] == 1, mean, -mean)
    half = n // 2
    return X[:half], y[:half], X[half:], y[half:]


def load_task(name: str, dim: int = 10, separation: float = 1.5, correlation: float = 0.6):
    """(X_train, y_train, X_test, y_test, image_shape or None, class names) for a registered dataset or the
    synthetic task. Images are flattened; digits go back to scikit-learn's 0-16 scale so its estimators (and the
    accuracies quoted for them) behave exactly as in scikit-learn."""
    if name == SYNTHETIC:
        Xtr, ytr, Xte, yte = gaussian_task(dim, separation, correlation)
        return Xtr, ytr, Xte, yte, None, ("class 0", "class 1")
    from gen_core.data import load_dataset

    d = load_dataset(name)
    Xtr, Xte = d.x_train.flatten(1).numpy().astype(float), d.x_test.flatten(1).numpy().astype(float)
    ytr, yte = d.y_train.numpy(), d.y_test.numpy()
    if name == "digits":
        Xtr, Xte = (Xtr + 1) * 8, (Xte + 1) * 8
    limit = MAX_TRAIN.get(name)
    if limit:
        Xtr, ytr = Xtr[:limit], ytr[:limit]
        Xte, yte = Xte[: limit // 2], yte[: limit // 2]
    return Xtr, ytr, Xte, yte, (d.shape if d.kind == "image" else None), d.class_names


# --- what a lesson reveals, kept on disk ---------------------------------------------------------------------------
# A learning curve (hundreds of fits) and the missing-data sweep take 1-3 s; a lesson's reveal opens them in front of
# a class. Kept under $GENLAB_HOME (gen_core.kept) and warmed at server start (ui.warmup.warm_reveals). data_key is
# the page's (data set name, dim, separation, correlation); the last three matter only for the synthetic task.

def task_of(data_key: tuple):
    name, dim, separation, correlation = data_key
    return load_task(name, dim, separation, correlation) if name == SYNTHETIC else load_task(name)


@kept_on_disk()
def learning_curves_of(data_key: tuple, names: tuple, sizes: tuple, resamples: int, seed: int) -> dict:
    """learning_curves on the page's task: {"seconds": the time it took, "acc/NAME": (resamples, len(sizes))}."""
    X_train, y_train, X_test, y_test, _, _ = task_of(data_key)
    started = time.perf_counter()
    curves = learning_curves(names, X_train, y_train, X_test, y_test, sizes, resamples, seed)
    return {"seconds": time.perf_counter() - started, **{f"acc/{n}": a for n, a in curves.items()}}


@kept_on_disk()
def missing_features_of(data_key: tuple, names: tuple, seed: int) -> dict:
    """missing_features on the page's task at MISSING_FRACTIONS: {"seconds": ..., "acc/NAME": one per fraction}."""
    X_train, y_train, X_test, y_test, _, _ = task_of(data_key)
    started = time.perf_counter()
    result = missing_features(names, X_train, y_train, X_test, y_test, MISSING_FRACTIONS, seed)
    return {"seconds": time.perf_counter() - started, **{f"acc/{n}": a for n, a in result.items()}}


def by_model(kept: dict) -> dict:
    """The per-model part of learning_curves_of / missing_features_of's result: {NAME: accuracies}."""
    return {k[len("acc/"):]: v for k, v in kept.items() if k.startswith("acc/")}
