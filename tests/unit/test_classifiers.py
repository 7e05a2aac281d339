"""Generative and discriminative classifiers: the estimator API on every model, marginalisation against a
hand-computed Gaussian, sampling shapes, and the experiments behind the page."""
import numpy as np
import pytest
from scipy.stats import multivariate_normal, norm
from sklearn.base import clone

from gen_core.labs import classifiers as lab
from gen_core import classifiers

ALL = classifiers.GENERATIVE + classifiers.DISCRIMINATIVE


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 300)
    centres = np.array([[0, 0], [3, 0], [0, 3]])
    X = centres[y] + rng.normal(0, 0.7, (300, 2))
    return X[:200], y[:200], X[200:], y[200:]


@pytest.mark.parametrize("name", ALL)
def test_every_model_has_the_estimator_api(name, blobs):
    Xtr, ytr, Xte, yte = blobs
    model = classifiers.make(name, seed=0)
    assert repr(clone(model)) == repr(model)  # scikit-learn can clone it (its parameters round-trip)
    lab.quiet_fit(model, Xtr, ytr)
    assert list(model.classes_) == [0, 1, 2]
    proba = model.predict_proba(Xte)
    assert proba.shape == (100, 3) and np.allclose(proba.sum(1), 1)
    assert (model.predict(Xte) == yte).mean() > 0.85
    hidden = Xte.copy()
    hidden[:, 1] = np.nan  # every model answers with a feature missing, one way or another
    assert model.predict(hidden).shape == (100,)
    if classifiers.is_generative(name):
        X, y = model.sample(50, random_state=0)
        assert X.shape == (50, 2) and y.shape == (50,)
        X1, y1 = model.sample(20, y=1, random_state=0)
        assert (y1 == 1).all() and np.linalg.norm(X1.mean(0) - [3, 0]) < 1.0
        assert model.score_samples(Xte).shape == (100,)
        assert model.score_samples([[0, 0]])[0] > model.score_samples([[20, 20]])[0]
    else:
        assert not hasattr(model, "sample")


def test_gaussian_marginal_matches_a_hand_computed_case():
    mean = np.array([1.0, -2.0, 0.5])
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, 0.3], [0.0, 0.3, 0.5]])
    x = np.array([[0.3, np.nan, 1.0], [np.nan, np.nan, 0.0], [0.0, -1.0, 0.2]])
    got = classifiers.gaussian_logpdf(x, mean, cov)
    ridge = classifiers.RIDGE
    # rows 1 and 2 by the marginal's formula: drop the hidden rows and columns
    want0 = multivariate_normal([1.0, 0.5], cov[np.ix_([0, 2], [0, 2])] + ridge * np.eye(2)).logpdf([0.3, 1.0])
    want1 = norm(0.5, np.sqrt(0.5 + ridge)).logpdf(0.0)
    want2 = multivariate_normal(mean, cov + ridge * np.eye(3)).logpdf([0.0, -1.0, 0.2])
    np.testing.assert_allclose(got, [want0, want1, want2], rtol=1e-10)


def test_lda_marginalises_by_hand():
    """Two 2-D Gaussian classes with a shared covariance; hiding x2, p(y | x1) follows from the 1-D marginals."""
    rng = np.random.default_rng(1)
    cov = np.array([[1.0, 0.8], [0.8, 1.0]])
    X = np.vstack([rng.multivariate_normal([0, 0], cov, 2000), rng.multivariate_normal([2, 1], cov, 2000)])
    y = np.r_[np.zeros(2000, int), np.ones(2000, int)]
    model = classifiers.LDA().fit(X, y)
    x1 = 1.3
    p0 = norm(model.means_[0, 0], np.sqrt(model.covariance_[0, 0] + classifiers.RIDGE)).pdf(x1) * model.priors_[0]
    p1 = norm(model.means_[1, 0], np.sqrt(model.covariance_[0, 0] + classifiers.RIDGE)).pdf(x1) * model.priors_[1]
    got = model.predict_proba([[x1, np.nan]])[0]
    np.testing.assert_allclose(got, [p0 / (p0 + p1), p1 / (p0 + p1)], rtol=1e-8)


def test_complete_inputs_go_through_scikit_learn_unchanged(blobs):
    from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
    from sklearn.naive_bayes import GaussianNB

    Xtr, ytr, Xte, _ = blobs
    np.testing.assert_allclose(classifiers.NaiveBayes().fit(Xtr, ytr).predict_proba(Xte),
                               GaussianNB().fit(Xtr, ytr).predict_proba(Xte))
    np.testing.assert_allclose(classifiers.QDA(reg_param=0.1).fit(Xtr, ytr).predict_proba(Xte),
                               QuadraticDiscriminantAnalysis(reg_param=0.1).fit(Xtr, ytr).predict_proba(Xte))


def test_naive_bayes_samples_have_the_fitted_moments():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal([0, 5], [1, 2], (3000, 2)), rng.normal([4, -1], [0.5, 1], (3000, 2))])
    y = np.r_[np.zeros(3000, int), np.ones(3000, int)]
    model = classifiers.NaiveBayes().fit(X, y)
    S, _ = model.sample(20_000, y=0, random_state=0)
    np.testing.assert_allclose(S.mean(0), [0, 5], atol=0.1)
    np.testing.assert_allclose(S.std(0), [1, 2], atol=0.1)


def test_experiments_shapes_and_the_missing_data_story():
    Xtr, ytr, Xte, yte = lab.gaussian_task(dim=6, separation=2.0, correlation=0.5, n=1200, seed=0)
    names = ("Naive Bayes", "Logistic regression")
    curves = lab.learning_curves(names, Xtr, ytr, Xte, yte, (10, 50, 200), resamples=3, seed=0)
    assert curves["Naive Bayes"].shape == (3, 3)
    missing = lab.missing_features(("LDA", "Logistic regression"), Xtr, ytr, Xte, yte, (0.0, 0.5), seed=0)
    assert missing["LDA"].shape == (2,) and missing["LDA"][0] > missing["LDA"][1]
    irrelevant = lab.irrelevant_features(names, Xtr, ytr, Xte, yte, (0, 20), 100, seed=0)
    assert irrelevant["Naive Bayes"].shape == (2,)
    out = lab.outlier_scores(("QDA", "Logistic regression"), Xtr, ytr, Xte,
                             np.random.default_rng(0).uniform(-8, 8, (300, 6)))
    assert out["QDA"]["auroc"] > 0.95 and out["QDA"]["auroc"] > out["Logistic regression"]["auroc"]


def test_decision_surfaces_predict_the_grid_in_parts_with_the_same_answer(blobs):
    """The grid is predicted in two blocks on two threads: the same p(y | x) as one call, a distribution per grid
    point, and the fitted models' test accuracy on well separated blobs."""
    Xtr, ytr, Xte, yte = blobs
    out = lab.decision_surfaces(("QDA", "RBF SVM"), Xtr, ytr, Xte, yte, n_train=150, seed=0, resolution=30)
    for name in ("QDA", "RBF SVM"):
        proba = out["models"][name]["proba"]
        assert proba.shape == (3, 30, 30) and np.allclose(proba.sum(0), 1)
        assert out["models"][name]["accuracy"] > 0.9
    svm = lab.quiet_fit(classifiers.make("RBF SVM", 0), Xtr, ytr)
    grid = np.random.default_rng(1).uniform(-2, 5, (1001, 2))  # an odd count: blocks of unequal length
    assert np.array_equal(lab.predict_proba_in_parts(svm, grid, parts=3), svm.predict_proba(grid))


def test_hide_hides_the_asked_share_per_row():
    X = lab.hide(np.zeros((5, 10)), 0.3, np.random.default_rng(0))
    assert (np.isnan(X).sum(1) == 3).all()


def test_crossover_is_where_the_discriminative_model_pulls_ahead():
    sizes = (10, 20, 40, 80, 160)
    generative = np.array([[0.6, 0.85, 0.86, 0.86, 0.86]])
    discriminative = np.array([[0.7, 0.8, 0.84, 0.92, 0.95]])
    assert lab.crossover(sizes, generative, discriminative) == {"leads_from": 20, "leads_to": 40, "overtaken_at": 80}
    assert lab.crossover(sizes, discriminative, generative) is None  # the "generative" one never falls behind
    assert lab.crossover(sizes, generative - 1, discriminative) is None  # never leads


# --- scikit-learn's own estimator checks ---------------------------------------------------------------------

def _check_estimator_cases():
    from sklearn.linear_model import LogisticRegression

    from gen_core.cvae_classifier import CVAEClassifier
    return {
        "NaiveBayes": classifiers.NaiveBayes(), "LDA": classifiers.LDA(), "QDA": classifiers.QDA(),
        "ClassGMM": classifiers.ClassGMM(), "MeanImputed (its default)": classifiers.MeanImputed(),
        "MeanImputed (LogisticRegression)": classifiers.MeanImputed(LogisticRegression()),
        "MeanImputed (the page's logistic regression)": classifiers.make("Logistic regression"),
        # a small network and few steps: the checks fit dozens of times; the model is the same code
        "CVAEClassifier": CVAEClassifier(hidden=16, epochs=1, importance_samples=4, min_steps=100),
    }


@pytest.mark.parametrize("case", list(_check_estimator_cases()))
def test_every_genlab_classifier_passes_scikit_learns_check_estimator(case):
    """NotFittedError before fit, n_features_in_, validated X and y, sparse input refused with scikit-learn's
    message, subset and order invariance, pickling; NaN declared (tag allow_nan) since missing features are
    integrated out (generative) or imputed (discriminative). check_estimator raises on the first failed check."""
    from sklearn.utils.estimator_checks import check_estimator
    estimator = _check_estimator_cases()[case]
    assert estimator.__sklearn_tags__().input_tags.allow_nan
    check_estimator(estimator)


def test_missing_features_in_training_rows_are_filled_from_their_class():
    X = np.array([[0.0, 10.0], [np.nan, 12.0], [2.0, np.nan], [5.0, 0.0], [7.0, np.nan]])
    y = np.array([0, 0, 0, 1, 1])
    filled = classifiers.class_mean_filled(X, y)
    np.testing.assert_allclose(filled, [[0, 10], [1, 12], [2, 11], [5, 0], [7, 0]])
    model = classifiers.NaiveBayes().fit(X, y)
    np.testing.assert_allclose(model.theta_, [[1, 11], [6, 0]])


def test_logistic_regression_is_scikit_learns_on_digits():
    """The page's logistic regression is scikit-learn's on standardised inputs with its own tolerance: the same
    predictions on digits' test split (0.9667; with tol 1e-2 it was 0.9583)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    X_train, y_train, X_test, y_test, _, _ = lab.load_task("digits")
    ours = classifiers.make("Logistic regression").fit(X_train, y_train)
    theirs = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(X_train, y_train)
    np.testing.assert_array_equal(ours.predict(X_test), theirs.predict(X_test))
    assert ours.score(X_test, y_test) == pytest.approx(0.9667, abs=5e-4)


def test_lda_transform_fills_missing_features_with_their_expectation(blobs):
    Xtr, ytr, Xte, _ = blobs
    lda = classifiers.LDA().fit(Xtr, ytr)
    hidden = Xte[:20].copy()
    hidden[:, 1] = np.nan
    filled = lda.expected_complete(hidden)
    np.testing.assert_array_equal(filled[:, 0], Xte[:20, 0])  # what was seen stays
    # E[x_1 | x_0] from the posterior-weighted class Gaussians, by hand for the first row
    cov = lda.covariance_ + classifiers.RIDGE * np.eye(2)
    posterior = np.exp(lda.predict_log_proba(hidden[:1]))[0]
    want = sum(p * (m[1] + cov[1, 0] / cov[0, 0] * (hidden[0, 0] - m[0])) for p, m in zip(posterior, lda.means_))
    assert filled[0, 1] == pytest.approx(want)
    assert lda.transform(hidden).shape == (20, 2)
