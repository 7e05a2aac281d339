"""scikit-learn's estimator contract, as GenLab's own classifiers keep it (`sklearn.utils.estimator_checks.
check_estimator` passes for every one): inputs checked as scikit-learn checks them, NaN allowed as a missing feature.

Its own module so that `classifiers` (the line-up, which builds the CVAE classifier) and `cvae_classifier` (which
keeps the contract) both import it, and not each other.
"""
from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data


def validated_fit_data(estimator, X, y) -> tuple[np.ndarray, np.ndarray]:
    """X and y checked as scikit-learn checks them (dense, 2-D, no infinities, as many labels as rows, class
    labels rather than a continuous target), setting `n_features_in_`. NaN (a missing feature) passes."""
    X, y = validate_data(estimator, X, y, dtype=np.float64, ensure_all_finite="allow-nan")
    check_classification_targets(y)
    return X, y


def validated_input(estimator, X) -> np.ndarray:
    """X for a fitted estimator's predict: NotFittedError before fit, the fitted number of features, infinities
    refused, NaN allowed (a missing feature, integrated out or imputed)."""
    check_is_fitted(estimator)
    return validate_data(estimator, X, reset=False, dtype=np.float64, ensure_all_finite="allow-nan")


class MissingFeaturesTag:
    """Declares to scikit-learn that NaN (a missing feature) is accepted, in fit and in predict."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
