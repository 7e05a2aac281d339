"""An autoregressive GRU on sequences: characters of a text, or the values of a time series.

Both are the same factorisation as PixelCNN's, in time instead of raster order (the syllabus: autoregressive
models are "commonly used in time series data and NLP"):

    p(x_1..T) = prod_t p(x_t | x_<t),

with a GRU (Cho et al., 2014) carrying x_<t in its hidden state. For text, p(x_t | x_<t) is a softmax over the
characters (log-likelihood in nats per character; bits per character = nats / ln 2); sampling divides the
logits by a temperature. For a series it is a Gaussian whose mean and log standard deviation the GRU outputs, so
continuing a series many times draws a fan of futures whose spread is the model's uncertainty. The first
value of a series is given, not modelled: the likelihood is log p(x_2..T | x_1).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.common import TrainerBase, check_fields, check_ranges

DATA_KINDS = ("text", "sequence")
MIN_LOG_STD = -5.0


@dataclass(frozen=True)
class Config:
    data_shape: tuple[int, ...] = (65,)
    vocabulary: str = ""        # a text model's characters in code order; empty: a real-valued series model
    embed: int = 32
    hidden: int = 256
    num_layers: int = 1
    lr: float = 2e-3
    batch_size: int = 64

    def __post_init__(self):
        check_fields(self)
        if not 1 <= len(self.data_shape) <= 2 or self.data_shape[0] < 2 or min(self.data_shape) < 1:
            raise ValueError(f"data_shape must be (T,) codes or (T, D) values with T >= 2; got {self.data_shape}")
        if self.vocabulary and len(set(self.vocabulary)) != len(self.vocabulary):
            raise ValueError("vocabulary must list each character once")
        if len(self.vocabulary) > 4096:
            raise ValueError(f"vocabulary has {len(self.vocabulary)} characters; at most 4096")
        check_ranges(self, embed="1..1024", hidden="1..4096", num_layers="1..8")
        if self.batch_size < 1:
            raise ValueError("batch_size must be >= 1")

    @property
    def is_text(self) -> bool:
        return bool(self.vocabulary)


class SequenceRNN(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        if config.is_text:
            vocab = len(config.vocabulary)
            self.embedding = nn.Embedding(vocab, config.embed)
            self.gru = nn.GRU(config.embed, config.hidden, config.num_layers, batch_first=True)
            self.head = nn.Linear(config.hidden, vocab)
        else:
            features = config.data_shape[1]
            self.gru = nn.GRU(features, config.hidden, config.num_layers, batch_first=True)
            self.head = nn.Linear(config.hidden, 2 * features)

    def forward(self, inputs: torch.Tensor, state: torch.Tensor | None = None):
        """inputs (B, T) codes or (B, T, D) values -> per step: logits (B, T, V) or (mean, log_std) (B, T, D) each,
        and the GRU state after the last step."""
        h, state = self.gru(self.embedding(inputs) if self.config.is_text else inputs, state)
        out = self.head(h)
        if self.config.is_text:
            return out, state
        mean, log_std = out.chunk(2, dim=-1)
        return (mean, log_std.clamp(MIN_LOG_STD, 3.0)), state

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x_2..T | x_1) (B,) in nats: codes (B, T) or values (B, T, D)."""
        out, _ = self(x[:, :-1])
        target = x[:, 1:]
        if self.config.is_text:
            return -F.cross_entropy(out.transpose(1, 2), target, reduction="none").sum(1)
        mean, log_std = out
        return (-0.5 * ((target - mean) * torch.exp(-log_std)) ** 2 - log_std
                - 0.5 * math.log(2 * math.pi)).flatten(1).sum(1)


def build(config: Config) -> SequenceRNN:
    return SequenceRNN(config)


def config_for(dataset, **overrides) -> Config:
    if dataset.kind == "text":
        defaults = {"data_shape": tuple(dataset.shape), "vocabulary": dataset.vocabulary}
    else:
        defaults = {"data_shape": tuple(dataset.shape), "hidden": 64}
    return Config(**{**defaults, **overrides})


class Trainer(TrainerBase):
    def __init__(self, model: SequenceRNN, config: Config):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        """One maximum-likelihood step (teacher forcing): minimise -log p per predicted step."""
        self.model.train()
        steps = x.shape[1] - 1
        nll = self.losses(lambda: -self.model.log_prob(x).mean() / steps)
        self.optimizer.zero_grad(set_to_none=True)
        nll.backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        return {"nll_per_step": float(nll.detach())}


@torch.no_grad()
def next_distribution(model: SequenceRNN, prefix: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """p(next character | prefix) (V,) for a text model, prefix (T,) codes (at least one)."""
    logits, _ = model(prefix[None].to(next(model.parameters()).device))
    return torch.softmax(logits[0, -1] / temperature, dim=-1).cpu()


@torch.no_grad()
def continue_text(model: SequenceRNN, prefix: torch.Tensor, length: int, temperature: float,
                  generator: torch.Generator, n: int = 1) -> torch.Tensor:
    """n continuations (n, length) codes of a prefix (T,), each character drawn from softmax(logits / T)."""
    device = next(model.parameters()).device
    logits, state = model(prefix[None].expand(n, -1).to(device))
    last, out = logits[:, -1], []
    for _ in range(length):
        probs = torch.softmax(last / temperature, dim=-1)
        code = torch.multinomial(probs.cpu(), 1, generator=generator if generator.device.type == "cpu" else None)
        out.append(code[:, 0])
        logits, state = model(code.to(device), state)
        last = logits[:, -1]
    return torch.stack(out, 1)


@torch.no_grad()
def continue_series(model: SequenceRNN, history: torch.Tensor, length: int, generator: torch.Generator,
                    n: int = 100) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """n sampled futures (n, length, D) of a series history (T, D), and the one-step predictive mean and std
    (T - 1, D) over the history itself."""
    device = next(model.parameters()).device
    (mean, log_std), state = model(history[None].expand(n, -1, -1).to(device))
    fitted_mean, fitted_std = mean[0, :-1].cpu(), torch.exp(log_std[0, :-1]).cpu()
    m, s = mean[:, -1:], torch.exp(log_std[:, -1:])
    out = []
    for _ in range(length):
        noise = torch.randn(m.shape, generator=generator, device=generator.device).to(device)
        value = m + s * noise
        out.append(value)
        (m, log_s), state = model(value, state)
        s = torch.exp(log_s)
    return torch.cat(out, 1).cpu(), fitted_mean, fitted_std


def sample(model: SequenceRNN, n: int, *, generator: torch.Generator, label: int | None = None,
           temperature: float = 1.0) -> torch.Tensor:
    """Text: n lines of T codes started from a newline. Series: n series (n, T, D) started from N(0, 1)."""
    if label is not None:
        raise ValueError("this sequence model is unconditional: it cannot sample a chosen class")
    length = model.config.data_shape[0]
    if model.config.is_text:
        start = torch.tensor([model.config.vocabulary.index("\n") if "\n" in model.config.vocabulary else 0])
        return continue_text(model, start, length, temperature, generator, n=n)
    first = torch.randn(n, 1, model.config.data_shape[1], generator=generator, device=generator.device).cpu()
    futures = [continue_series(model, first[k], length - 1, generator, n=1)[0][0] for k in range(n)]
    return torch.cat([first, torch.stack(futures)], 1)


@torch.no_grad()
def evaluate(model: SequenceRNN, dataset, generator: torch.Generator) -> dict:
    model.eval()
    device = next(model.parameters()).device
    total = sum(float(-model.log_prob(dataset.x_test[k:k + 256].to(device)).sum())
                for k in range(0, len(dataset.x_test), 256))
    per_sequence = total / len(dataset.x_test)
    per_step = per_sequence / (dataset.shape[0] - 1)
    out = {"test_nll_nats": round(per_sequence, 3), "nats_per_step": round(per_step, 4)}
    if model.config.is_text:
        out["bits_per_char"] = round(per_step / math.log(2), 4)
    return out
