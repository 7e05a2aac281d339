"""A deep generative classifier: a class-conditional VAE (Kingma et al., 2014, "M2" without the unlabelled part)
that scores log p(x | y) for every class and classifies by Bayes' rule, p(y | x) ~ p(x | y) p(y).

log p(x | y) is estimated by the importance-weighted bound with K samples (Burda et al., 2016, eq. 8),

    log p(x | y) >= E[ log 1/K sum_k p(x, z_k | y) / q(z_k | x, y) ],   z_k ~ q(z | x, y),

tighter than the ELBO and the same for every class, so the comparison between classes is fair. The decoder is a
Gaussian with one learned variance per feature; inputs are standardised first. Missing (NaN) features are given to
the encoder as 0 (the training mean) and left out of log p(x | z, y), which integrates them out exactly because
the decoder's features are independent given z.
"""
from __future__ import annotations

import math

import numpy as np
from gen_core.device import make_generator
import torch
import torch.nn.functional as F
from scipy.special import logsumexp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted
from torch import nn

from gen_core.bayes import bayes_posterior
from gen_core.estimator_contract import MissingFeaturesTag, validated_fit_data, validated_input


class _CVAE(nn.Module):
    def __init__(self, dim: int, classes: int, hidden: int, latent: int):
        super().__init__()
        self.classes = classes
        self.encoder = nn.Sequential(nn.Linear(dim + classes, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                     nn.Linear(hidden, 2 * latent))
        self.decoder = nn.Sequential(nn.Linear(latent + classes, hidden), nn.SiLU(), nn.Linear(hidden, hidden),
                                     nn.SiLU(), nn.Linear(hidden, dim))
        self.log_var = nn.Parameter(torch.zeros(dim))

    def log_weights(self, x, observed, y, samples: int, generator=None, shared_noise: bool = False):
        """log p(x_o, z | y) - log q(z | x, y) for `samples` draws of z per row: (samples, N). With
        `shared_noise`, every row reparameterises the same `samples` standard-normal draws, so a row's estimate does
        not depend on which other rows came with it (scikit-learn's subset and order invariance)."""
        onehot = F.one_hot(y, self.classes).float()
        mu, logvar = self.encoder(torch.cat([x * observed, onehot], 1)).chunk(2, 1)
        logvar = logvar.clamp(-10, 6)
        eps = torch.randn((samples, 1 if shared_noise else len(mu), mu.shape[1]), generator=generator)
        eps = eps.expand(samples, *mu.shape)
        z = mu + (0.5 * logvar).exp() * eps
        mean = self.decoder(torch.cat([z, onehot.expand(samples, -1, -1)], 2))
        log_px = -0.5 * (((x - mean) ** 2) / self.log_var.exp() + self.log_var + math.log(2 * math.pi))
        log_px = (log_px * observed).sum(2)
        log_pz = -0.5 * (z ** 2 + math.log(2 * math.pi)).sum(2)
        log_qz = -0.5 * (eps ** 2 + logvar + math.log(2 * math.pi)).sum(2)
        return log_px + log_pz - log_qz


class CVAEClassifier(MissingFeaturesTag, ClassifierMixin, BaseEstimator):
    """Missing (NaN) features are allowed in fit too: they are left out of the training bound the same way."""
    generative = True

    def __init__(self, hidden: int = 128, latent: int = 4, epochs: int = 60, importance_samples: int = 16,
                 random_state: int = 0, min_steps: int = 200):
        self.hidden = hidden
        self.latent = latent
        self.epochs = epochs
        self.importance_samples = importance_samples
        self.random_state = random_state
        self.min_steps = min_steps  # tiny training sets still get this many updates

    def fit(self, X, y):
        X, y = validated_fit_data(self, X, y)
        X = X.astype(np.float32)
        self.classes_, index = np.unique(y, return_inverse=True)
        seen = ~np.isnan(X)
        filled = np.where(seen, X, 0.0)
        counts = np.maximum(seen.sum(0), 1)
        self.mean_ = (filled.sum(0) / counts).astype(np.float32)
        spread = np.sqrt((np.where(seen, X - self.mean_, 0.0) ** 2).sum(0) / counts)
        self.scale_ = (spread + 1e-3).astype(np.float32)
        self.log_prior_ = np.log(np.bincount(index) / len(index))
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.random_state)
            self.net_ = _CVAE(X.shape[1], len(self.classes_), self.hidden, self.latent)
        generator = make_generator(self.random_state)
        xs = torch.from_numpy(np.nan_to_num((X - self.mean_) / self.scale_))
        ys = torch.from_numpy(index).long()
        observed = torch.from_numpy(seen).float()
        optimizer = torch.optim.Adam(self.net_.parameters(), lr=3e-3)
        batch = min(128, len(xs))
        steps = max(self.min_steps, self.epochs * math.ceil(len(xs) / batch))
        for _ in range(steps):
            rows = torch.randint(0, len(xs), (batch,), generator=generator)
            elbo = self.net_.log_weights(xs[rows], observed[rows], ys[rows], 1, generator).mean()
            optimizer.zero_grad(set_to_none=True)
            (-elbo).backward()
            optimizer.step()
        self.net_.eval()
        return self

    @torch.no_grad()
    def class_log_likelihood(self, X) -> np.ndarray:
        """Importance-weighted estimate of log p(x | y) for every class (N, K), NaN features integrated out.
        (Includes the log-determinant of the standardisation, so values are densities of the raw features.)"""
        X = validated_input(self, X).astype(np.float32)
        observed = torch.from_numpy(~np.isnan(X)).float()
        xs = torch.from_numpy(np.nan_to_num((X - self.mean_) / self.scale_))
        generator = make_generator(self.random_state + 1)
        out = np.empty((len(X), len(self.classes_)))
        for k in range(len(self.classes_)):
            y = torch.full((len(X),), k, dtype=torch.long)
            w = self.net_.log_weights(xs, observed, y, self.importance_samples, generator, shared_noise=True).numpy()
            out[:, k] = logsumexp(w, axis=0) - math.log(self.importance_samples)
        return out - (observed.numpy() * np.log(self.scale_)).sum(1, keepdims=True)

    def joint_log_likelihood(self, X) -> np.ndarray:
        return self.class_log_likelihood(X) + self.log_prior_

    def predict_proba(self, X):
        return bayes_posterior(self.joint_log_likelihood(X))

    def predict(self, X):
        probabilities = self.predict_proba(X)  # first: NotFittedError before fit, not an AttributeError
        return self.classes_[probabilities.argmax(1)]

    def score_samples(self, X) -> np.ndarray:
        return logsumexp(self.joint_log_likelihood(X), axis=1)

    @torch.no_grad()
    def sample(self, n: int, y=None, random_state=None) -> tuple[np.ndarray, np.ndarray]:
        """n draws: y from the prior (or the given class), z ~ N(0, I), x = the decoder's mean (plus its noise for
        low-dimensional data, where the spread is what one wants to see)."""
        check_is_fitted(self)
        rng = np.random.default_rng(random_state)
        index = rng.choice(len(self.classes_), n, p=np.exp(self.log_prior_)) if y is None else \
            np.full(n, list(self.classes_).index(y))
        z = torch.from_numpy(rng.standard_normal((n, self.latent)).astype(np.float32))
        onehot = F.one_hot(torch.from_numpy(index).long(), len(self.classes_)).float()
        mean = self.net_.decoder(torch.cat([z, onehot], 1)).numpy()
        if mean.shape[1] <= 3:
            mean = mean + rng.standard_normal(mean.shape) * np.exp(0.5 * self.net_.log_var.numpy())
        return mean * self.scale_ + self.mean_, self.classes_[index]
