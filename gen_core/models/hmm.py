"""Hidden Markov models of real-valued sequences, one per class, fitted by hmmlearn's Baum-Welch.

An HMM is the syllabus's classic generative sequence model: a hidden state s_t follows a Markov chain and each
step emits x_t from its state's Gaussian,

    p(x_1..T, s_1..T) = pi(s_1) N(x_1; mu_s1, sigma_s1) prod_t A(s_{t-1}, s_t) N(x_t; mu_st, sigma_st).

The forward algorithm sums over all S^T state paths in O(T S^2) (Rabiner, 1989, eq. 19-21) to give the exact
log p(x); Viterbi finds the single most probable path; forward-backward gives each step's posterior
p(s_t | x). With one HMM per class, Bayes' rule turns them into a classifier, argmax_k log p(x | k) + log p(k):
the generative half of the syllabus's HMM / discriminative pairing (gen_core/labs/sequences.py has the other half).

hmmlearn does the arithmetic (`GaussianHMM`, diagonal covariances); the parameters live here as buffers so a
checkpoint is the usual safetensors file. One training step is one EM iteration over all of a class's training
sequences (the batch size defaults to the whole set, so an epoch is one iteration).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from gen_core.models.common import TrainerBase, check_fields

DATA_KINDS = ("sequence",)
MIN_COVAR = 1e-3


@dataclass(frozen=True)
class Config:
    data_shape: tuple[int, ...] = (64, 1)
    num_states: int = 3
    num_classes: int = 3        # one HMM per class (1: one HMM for all the sequences)
    batch_size: int = 100_000   # sequences per EM iteration: all of them
    lr: float = 1.0             # unused (EM has no step size); kept for the shared checks

    def __post_init__(self):
        check_fields(self)
        if len(self.data_shape) != 2 or min(self.data_shape) < 1:
            raise ValueError(f"data_shape must be T,D; got {self.data_shape}")
        if not 1 <= self.num_states <= 32 or not 1 <= self.num_classes <= 100 or self.batch_size < 1:
            raise ValueError("num_states must be 1..32, num_classes 1..100 and batch_size >= 1")


class HMMBank(nn.Module):
    """num_classes Gaussian HMMs with diagonal covariances, as buffers (startprob, transmat, means, covars)."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        k, s, d = config.num_classes, config.num_states, config.data_shape[1]
        self.register_buffer("startprob", torch.full((k, s), 1.0 / s, dtype=torch.float64))
        self.register_buffer("transmat", torch.full((k, s, s), 1.0 / s, dtype=torch.float64))
        self.register_buffer("means", torch.zeros(k, s, d, dtype=torch.float64))
        self.register_buffer("covars", torch.ones(k, s, d, dtype=torch.float64))
        self.register_buffer("class_prior", torch.full((k,), 1.0 / k, dtype=torch.float64))
        self.register_buffer("fitted", torch.zeros(k, dtype=torch.float64))
        self.anchor = nn.Parameter(torch.zeros(1))  # a parameter, so device and dtype can be read the usual way

    def hmm(self, k: int):
        """Class k's model as an hmmlearn GaussianHMM (a fresh object: hmmlearn models are not thread-safe)."""
        from hmmlearn.hmm import GaussianHMM

        model = GaussianHMM(n_components=self.config.num_states, covariance_type="diag", min_covar=MIN_COVAR,
                            init_params="", params="stmc", n_iter=1, implementation="log")
        model.n_features = self.config.data_shape[1]
        model.startprob_ = self.startprob[k].cpu().numpy()
        model.transmat_ = self.transmat[k].cpu().numpy()
        model.means_ = self.means[k].cpu().numpy()
        model.covars_ = self.covars[k].cpu().numpy()
        return model

    def store(self, k: int, model) -> None:
        for name, value in (("startprob", model.startprob_), ("transmat", model.transmat_), ("means", model.means_),
                            ("covars", np.diagonal(model.covars_, axis1=1, axis2=2))):
            getattr(self, name)[k] = torch.as_tensor(np.array(value), dtype=torch.float64)
        self.fitted[k] = 1.0

    def log_likelihoods(self, x: torch.Tensor) -> torch.Tensor:
        """(N, num_classes) log p(x | class k) by the forward algorithm, for sequences (N, T, D)."""
        data = x.detach().cpu().double().numpy()
        out = np.empty((len(data), self.config.num_classes))
        for k in range(self.config.num_classes):
            model = self.hmm(k)
            out[:, k] = [model.score(seq) for seq in data]
        return torch.from_numpy(out)

    def classify(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Bayes' rule over the class HMMs: predicted classes (N,) and posteriors p(k | x) (N, K)."""
        joint = self.log_likelihoods(x) + torch.log(self.class_prior.cpu())
        posterior = torch.softmax(joint, dim=1)
        return posterior.argmax(1), posterior


def sticky_transitions(states: int, stay: float = 0.9) -> np.ndarray:
    """The starting transition matrix: stay with probability `stay`, else move to any other state alike.
    hmmlearn's default draws it at random, and a draw close to a permutation (0 -> 2 -> 1 -> 0 every step) locks
    the states into a cycle from which EM never leaves: seen on the series, all three means collapsing to 0."""
    if states == 1:
        return np.ones((1, 1))
    return np.full((states, states), (1 - stay) / (states - 1)) + np.eye(states) * (stay - (1 - stay) / (states - 1))


def build(config: Config) -> HMMBank:
    return HMMBank(config)


def config_for(dataset, **overrides) -> Config:
    return Config(**{"data_shape": tuple(dataset.shape), "num_classes": dataset.num_classes, **overrides})


class Trainer(TrainerBase):
    """Baum-Welch, not gradients: nothing goes through `losses`, and torchrun refuses it (gen_core/distributed.py)."""
    by_gradients = False

    def __init__(self, model: HMMBank, config: Config):
        self.model, self.config = model, config

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        """One Baum-Welch (EM) iteration per class on this batch's sequences of that class; the first one starts
        from hmmlearn's k-means initialisation (seeded from `generator`)."""
        from hmmlearn.hmm import GaussianHMM

        model, c = self.model, self.config
        data, labels = x.detach().cpu().double().numpy(), y.cpu().numpy()
        if c.num_classes == 1:
            labels = np.zeros_like(labels)
        seed = int(torch.randint(2**31 - 1, (1,), generator=generator, device=generator.device)) if generator else 0
        total, count = 0.0, 0
        for k in range(c.num_classes):
            sequences = data[labels == k]
            if not len(sequences):
                continue
            if model.fitted[k]:
                hmm = model.hmm(k)
            else:  # means and variances from hmmlearn's k-means; a uniform start and a sticky chain (below)
                hmm = GaussianHMM(n_components=c.num_states, covariance_type="diag", min_covar=MIN_COVAR,
                                  n_iter=1, random_state=seed, implementation="log", init_params="mc")
                hmm.startprob_ = np.full(c.num_states, 1.0 / c.num_states)
                hmm.transmat_ = sticky_transitions(c.num_states)
            stacked, lengths = sequences.reshape(-1, c.data_shape[1]), [len(s) for s in sequences]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # hmmlearn warns that one iteration has not converged: by design
                hmm.fit(stacked, lengths)
            model.store(k, hmm)
            total += hmm.score(stacked, lengths)
            count += len(sequences)
        counts = np.bincount(labels, minlength=c.num_classes).astype(float)
        model.class_prior.copy_(torch.as_tensor((counts + 1) / (counts.sum() + c.num_classes)))
        return {"nll": -total / max(count, 1)}


def sample(model: HMMBank, n: int, *, generator: torch.Generator, label: int | None = None) -> torch.Tensor:
    """n sequences (n, T, D): from class `label`'s HMM, or from a class drawn by the class prior."""
    length = model.config.data_shape[0]
    seed = int(torch.randint(2**31 - 1, (1,), generator=generator, device=generator.device))
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        k = label if label is not None else int(rng.choice(model.config.num_classes,
                                                           p=model.class_prior.cpu().numpy()))
        x, _ = model.hmm(k).sample(length, random_state=int(rng.integers(2**31 - 1)))
        out.append(x)
    return torch.as_tensor(np.asarray(out), dtype=torch.float32)


def viterbi(model: HMMBank, sequence: np.ndarray, k: int) -> tuple[float, np.ndarray, np.ndarray]:
    """For one (T, D) sequence under class k's HMM: log p(x, best path), the Viterbi path (T,) and the posterior
    p(s_t | x) per step (T, S) from forward-backward."""
    hmm = model.hmm(k)
    log_joint, path = hmm.decode(sequence, algorithm="viterbi")
    return float(log_joint), path, hmm.predict_proba(sequence)


@torch.no_grad()
def evaluate(model: HMMBank, dataset, generator: torch.Generator) -> dict:
    """Test log-likelihood per sequence under its own class's HMM (nats), and the Bayes classifier's accuracy."""
    ll = model.log_likelihoods(dataset.x_test)
    y = dataset.y_test if model.config.num_classes > 1 else torch.zeros_like(dataset.y_test)
    predicted, _ = model.classify(dataset.x_test)
    own = ll[torch.arange(len(y)), y]
    return {"test_nll_nats": round(float(-own.mean()), 3),
            "nats_per_step": round(float(-own.mean()) / math.prod(dataset.shape), 4),
            "accuracy": round(float((predicted == y).double().mean()), 4)}
