"""The generative-vs-discriminative page's numbers: 5-fold shuffled accuracy on digits for each of GenLab's
classifiers next to scikit-learn's own estimator run the same way, and the time each chart takes to compute on
first view with the page's default settings (the page caches it after that).

    python bench/classifiers.py
"""
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_score  # noqa: E402
from sklearn.naive_bayes import GaussianNB  # noqa: E402
from sklearn.svm import SVC  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

from gen_core.labs import classifiers as lab  # noqa: E402

REFERENCE = {"Naive Bayes": GaussianNB(), "LDA": LinearDiscriminantAnalysis(),
             "QDA": QuadraticDiscriminantAnalysis(reg_param=0.1), "Logistic regression": LogisticRegression(max_iter=5000),
             "RBF SVM": SVC(), "Decision tree": DecisionTreeClassifier(random_state=0),
             "Random forest": RandomForestClassifier(random_state=0)}


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - started


def main():
    warnings.simplefilter("ignore")
    X, y = load_digits(return_X_y=True)
    print("5-fold shuffled accuracy on digits (StratifiedKFold(5, shuffle=True, random_state=0))")
    print(f"{'model':<24} {'GenLab':>7} {'sklearn':>8} {'diff':>6}")
    for name, reference in REFERENCE.items():
        ours = lab.cv_accuracy(name, X, y)
        theirs = cross_val_score(reference, X, y, cv=StratifiedKFold(5, shuffle=True, random_state=0)).mean()
        print(f"{name:<24} {ours:>7.4f} {theirs:>8.4f} {ours - theirs:>+6.3f}")
    for name in ("Gaussian mixture", "Linear SVM", "Neural net", "Deep generative (CVAE)"):
        print(f"{name:<24} {lab.cv_accuracy(name, X, y):>7.4f} {'-':>8}")

    print("\nfirst-view compute time of each chart with the page's defaults (seconds)")
    Xtr, ytr, Xte, yte, *_ = lab.load_task("digits")
    moons = lab.load_task("moons")
    syn = lab.load_task(lab.SYNTHETIC, 20, 2.0, 0.8)
    sizes = tuple(int(s) for s in np.unique(np.geomspace(20, 1000, 9).round()))
    syn_sizes = tuple(int(s) for s in np.unique(np.geomspace(4, 1000, 9).round()))
    rows = [
        ("decision boundaries, moons", lambda: lab.decision_surfaces(
            ("Naive Bayes", "QDA", "Logistic regression", "RBF SVM"), *moons[:4], 200)),
        ("learning curves, synthetic", lambda: lab.learning_curves(
            ("Naive Bayes", "Logistic regression"), *syn[:4], syn_sizes, 10)),
        ("learning curves, digits", lambda: lab.learning_curves(
            ("Naive Bayes", "Logistic regression"), Xtr, ytr, Xte, yte, sizes, 10)),
        ("missing data, digits", lambda: lab.missing_features(
            ("Naive Bayes", "LDA", "Logistic regression", "Random forest"), Xtr, ytr, Xte, yte,
            lab.MISSING_FRACTIONS)),
        ("missing data, digits, + QDA", lambda: lab.missing_features(
            ("QDA",), Xtr, ytr, Xte, yte, lab.MISSING_FRACTIONS)),
        ("irrelevant features, digits", lambda: lab.irrelevant_features(
            ("Naive Bayes", "LDA", "Logistic regression", "Random forest"), Xtr, ytr, Xte, yte,
            lab.NOISE_FEATURES, 200)),
        ("outliers, digits", lambda: lab.outlier_scores(
            ("Naive Bayes", "QDA", "Logistic regression", "Random forest"), Xtr, ytr, Xte,
            np.random.default_rng(0).uniform(0, 16, Xte.shape))),
    ]
    for label, fn in rows:
        seconds = timed(fn)
        print(f"{label:<32} {seconds:6.2f} {'ok' if seconds < 3 else 'over 3 s'}")


if __name__ == "__main__":
    main()
