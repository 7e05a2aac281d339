"""Bayes' rule for generative classifiers, shared by the Gaussian ones (classifiers.py) and the conditional VAE
(cvae_classifier.py) without either importing the other."""
from __future__ import annotations

import numpy as np
from scipy.special import logsumexp


def bayes_posterior(joint: np.ndarray) -> np.ndarray:
    """p(y | x) from log p(x, y) (N, K): Bayes' rule, normalised in log space."""
    return np.exp(joint - logsumexp(joint, axis=1, keepdims=True))
