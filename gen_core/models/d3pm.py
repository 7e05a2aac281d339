"""Discrete diffusion on binary images: D3PM (Austin, Johnson, Ho, Tarlow & van den Berg, 2021).

Continuous diffusion adds Gaussian noise; pixels that are either ink or blank have no "a little noisier". D3PM
corrupts categories instead: each step moves every pixel by a transition matrix Q_t (rows: from, columns: to),

    q(x_t | x_{t-1}) = Cat(x_t; x_{t-1} Q_t),     q(x_t | x_0) = Cat(x_t; x_0 Qbar_t),  Qbar_t = Q_1 ... Q_t,

(ibid., eq. 1-3; x as one-hot rows). Two kinds, chosen by `transition`:

- uniform: Q_t = (1 - beta_t) I + beta_t / K 11^T; then Qbar_t = abar_t I + (1 - abar_t) / K 11^T with
  abar_t = prod (1 - beta_s): a pixel keeps its value or becomes a fair coin.
- absorbing: a third state, [MASK]; Q_t keeps a pixel with probability 1 - beta_t, else masks it, and a mask
  stays a mask; Qbar_t keeps x_0 with probability abar_t. The reverse process unmasks pixels, a little like a
  masked language model writing an image in random order.

The schedule is abar_t = 1 - t / T (t = 0..T, 0-based index t-1 below), which for absorbing is Austin et al.'s
beta_t = 1 / (T - t + 1): each step masks an equal share of the pixels.

The network reads the one-hot x_t and t and predicts p_theta(x_0 | x_t) per pixel; the reverse step is
p(x_{t-1} | x_t) = sum_x0 q(x_{t-1} | x_t, x_0) p_theta(x_0 | x_t), with the posterior (ibid., eq. 3)

    q(x_{t-1} | x_t, x_0) ∝ (x_t Q_t^T) . (x_0 Qbar_{t-1}).

Training minimises the variational bound's terms L_{t-1} = KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) plus
`aux_weight` times the cross-entropy of x_0 (their hybrid loss, eq. 5). The bound L_T + sum L_{t-1} + L_0 is a
true bound on -log P(x) of the binary image: the Likelihood Lab's table can list it beside the PixelCNN's.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.common import TrainerBase, check_fields, check_ranges, likelihood_metrics

DATA_KINDS = ("image",)
TRANSITIONS = ("absorbing", "uniform")
EPS = 1e-20


@dataclass(frozen=True)
class Config:
    image_shape: tuple[int, ...] = (1, 8, 8)
    transition: str = "absorbing"
    timesteps: int = 64         # T
    channels: int = 64
    aux_weight: float = 0.1     # lambda of the hybrid loss: the x_0 cross-entropy beside the bound's KL
    lr: float = 1e-3
    batch_size: int = 64

    def __post_init__(self):
        check_fields(self)
        if len(self.image_shape) != 3 or self.image_shape[0] != 1 or min(self.image_shape) < 1:
            raise ValueError(f"D3PM here models one-channel binary images; got image_shape {self.image_shape}")
        if self.transition not in TRANSITIONS:
            raise ValueError(f"transition must be one of {', '.join(TRANSITIONS)}, got {self.transition!r}")
        check_ranges(self, timesteps="2..1000", channels="1..512", batch_size=">= 1")
        if self.aux_weight < 0:
            raise ValueError(f"aux_weight must be >= 0, got {self.aux_weight}")

    @property
    def states(self) -> int:
        """K: blank, ink (and [MASK] for absorbing)."""
        return 3 if self.transition == "absorbing" else 2


def kept_share(timesteps: int) -> torch.Tensor:
    """abar_t for t = 0..T (abar_0 = 1: the data): 1 - t / T."""
    return 1 - torch.arange(timesteps + 1, dtype=torch.float64) / timesteps


def step_matrices(config: Config) -> torch.Tensor:
    """Q_t for t = 1..T as (T, K, K), rows summing to one."""
    abar = kept_share(config.timesteps)
    beta = 1 - abar[1:] / abar[:-1].clamp(min=EPS)
    beta[-1] = 1.0  # the last step finishes the job (abar_T = 0)
    k = config.states
    eye = torch.eye(k, dtype=torch.float64)
    if config.transition == "uniform":
        return (1 - beta)[:, None, None] * eye + beta[:, None, None] / k * torch.ones(k, k, dtype=torch.float64)
    mask = torch.zeros(k, k, dtype=torch.float64)
    mask[:, k - 1] = 1.0  # every state goes to [MASK]
    return (1 - beta)[:, None, None] * eye + beta[:, None, None] * mask


def cumulative_matrices(config: Config) -> torch.Tensor:
    """Qbar_t for t = 0..T as (T + 1, K, K) from the closed form (Qbar_0 = I)."""
    abar = kept_share(config.timesteps)
    k = config.states
    eye = torch.eye(k, dtype=torch.float64)
    if config.transition == "uniform":
        return abar[:, None, None] * eye + (1 - abar)[:, None, None] / k * torch.ones(k, k, dtype=torch.float64)
    mask = torch.zeros(k, k, dtype=torch.float64)
    mask[:, k - 1] = 1.0
    return abar[:, None, None] * eye + (1 - abar)[:, None, None] * mask


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10_000) * torch.arange(half, device=t.device) / half)
    angles = t.float()[:, None] * freqs[None]
    return torch.cat([angles.sin(), angles.cos()], dim=1)


class Block(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.norm = nn.GroupNorm(8 if channels % 8 == 0 else 1, channels)
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.time = nn.Linear(channels, channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, h, emb):
        out = self.conv1(F.silu(self.norm(h))) + self.time(emb)[:, :, None, None]
        return h + self.conv2(F.silu(out))


class D3PM(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        c, k = config.channels, config.states
        self.time = nn.Sequential(nn.Linear(c, c), nn.SiLU(), nn.Linear(c, c))
        self.inp = nn.Conv2d(k, c, 3, padding=1)
        self.blocks = nn.ModuleList(Block(c) for _ in range(4))
        self.out = nn.Conv2d(c, 2, 3, padding=1)  # logits of x_0: blank or ink (never [MASK])
        self.register_buffer("q_step", step_matrices(config).float(), persistent=False)
        self.register_buffer("q_bar", cumulative_matrices(config).float(), persistent=False)

    def x0_logits(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        """(B, H, W) states and timesteps (B,) in 1..T -> logits of x_0 (B, H, W, 2)."""
        h = self.inp(F.one_hot(x_t, self.config.states).permute(0, 3, 1, 2).float())
        emb = self.time(timestep_embedding(t, self.config.channels))
        for block in self.blocks:
            h = block(h, emb)
        return self.out(F.silu(h)).permute(0, 2, 3, 1)


def to_states(x: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] (B, 1, H, W) to states (B, H, W): 1 ink, 0 blank."""
    return (x[:, 0] > 0).long()


def from_states(s: torch.Tensor, masked_value: float = 0.0) -> torch.Tensor:
    """States (B, H, W) to images (B, 1, H, W) in [-1, 1]; [MASK] drawn as `masked_value` (mid-grey)."""
    image = torch.where(s == 1, 1.0, -1.0)
    return torch.where(s == 2, masked_value, image)[:, None]


def q_marginal(model: D3PM, x0: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """q(x_t | x_0) (B, H, W, K) for states x0 (B, H, W) and t (B,) in 0..T."""
    return model.q_bar[t][:, None, None].expand(-1, *x0.shape[1:], -1, -1).gather(
        3, x0[..., None, None].expand(*x0.shape, 1, model.config.states)).squeeze(3)


def categorical_from_uniform(probs: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The category each uniform u in [0, 1) picks by the inverse CDF of its row of `probs` (last axis)."""
    return (u[..., None] > probs.cumsum(-1)).sum(-1).clamp(max=probs.shape[-1] - 1)


def sample_categorical(probs: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """One draw per row of the last axis, with uniform noise from the generator."""
    u = torch.rand(probs.shape[:-1], generator=generator, device=generator.device).to(probs.device)
    return categorical_from_uniform(probs, u)


def posterior(model: D3PM, x_t: torch.Tensor, x0_probs: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """sum_x0 q(x_{t-1} | x_t, x_0) p(x_0) (B, H, W, K) for t (B,) in 2..T, with x0_probs (B, H, W, 2) a
    distribution over blank / ink (one-hot for the true posterior)."""
    k = model.config.states
    # q(x_t | x_{t-1}) as a function of x_{t-1}: column x_t of Q_t
    likelihood = model.q_step[t - 1].transpose(1, 2)[:, None, None].expand(-1, *x_t.shape[1:], -1, -1)
    likelihood = likelihood.gather(3, x_t[..., None, None].expand(*x_t.shape, 1, k)).squeeze(3)
    prior = model.q_bar[t - 1][:, :2]  # rows x_0 = blank, ink: q(x_{t-1} | x_0) (B, 2, K)
    joint = likelihood[..., None, :] * prior[:, None, None]  # (B, H, W, x0, x_{t-1})
    normalised = joint / joint.sum(-1, keepdim=True).clamp(min=EPS)
    return (x0_probs[..., None] * normalised).sum(-2)


def reverse_probs(model: D3PM, x_t: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """p_theta(x_{t-1} | x_t) (B, H, W, K) and p_theta(x_0 | x_t) (B, H, W, 2), for t >= 2."""
    x0_probs = torch.softmax(model.x0_logits(x_t, t), -1)
    return posterior(model, x_t, x0_probs, t), x0_probs


def build(config: Config) -> D3PM:
    return D3PM(config)


def config_for(dataset, **overrides) -> Config:
    return Config(**{"image_shape": tuple(dataset.shape), **overrides})


def terms(model: D3PM, x0: torch.Tensor, t: torch.Tensor, generator: torch.Generator) -> dict:
    """For states x0 and t (B,) in 1..T: the bound's term (L_{t-1} for t >= 2, L_0 = -log p(x_0 | x_1) for t = 1)
    and the x_0 cross-entropy, per image (B,)."""
    x_t = sample_categorical(q_marginal(model, x0, t), generator)
    logits = model.x0_logits(x_t, t)
    cross_entropy = F.cross_entropy(logits.permute(0, 3, 1, 2), x0, reduction="none").flatten(1).sum(1)
    x0_probs = torch.softmax(logits, -1)
    true = posterior(model, x_t, F.one_hot(x0, 2).to(x0_probs.dtype), t.clamp(min=2))
    predicted = posterior(model, x_t, x0_probs, t.clamp(min=2))
    kl = (true * (torch.log(true.clamp(min=EPS)) - torch.log(predicted.clamp(min=EPS)))).sum(-1).flatten(1).sum(1)
    bound_term = torch.where(t == 1, cross_entropy, kl)
    return {"bound": bound_term, "cross_entropy": cross_entropy}


class Trainer(TrainerBase):
    def __init__(self, model: D3PM, config: Config):
        self.model, self.config = model, config
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        model, c = self.model, self.config
        model.train()
        generator = generator or torch.Generator(device=x.device)
        x0 = to_states(x)
        t = torch.randint(1, c.timesteps + 1, (len(x),), generator=generator, device=generator.device).to(x.device)
        out = self.losses(lambda: terms(model, x0, t, generator))
        # the bound's sum over t is T times the mean term (t uniform); the hybrid adds the cross-entropy
        loss = (out["bound"].mean() + c.aux_weight * out["cross_entropy"].mean())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        self.optimizer.step()
        return {"loss": float(loss.detach()), "bound_term": float(out["bound"].detach().mean())}


def start_states(model: D3PM, n: int, generator: torch.Generator) -> torch.Tensor:
    """x_T: all [MASK] (absorbing) or fair coins (uniform)."""
    _, height, width = model.config.image_shape
    device = model.q_bar.device
    if model.config.transition == "absorbing":
        return torch.full((n, height, width), 2, dtype=torch.long, device=device)
    return torch.randint(2, (n, height, width), generator=generator, device=generator.device).to(device)


@torch.no_grad()
def reverse(model: D3PM, n: int, generator: torch.Generator, record: bool = False):
    """Run the reverse chain from x_T; returns the final images (n, 1, H, W) in [-1, 1] and, with `record`,
    every x_t (T + 1 states tensors, x_T first) and the model's expected x_0 at each step (T tensors in [0, 1])."""
    x = start_states(model, n, generator)
    states, guesses = [x.cpu()] if record else [], []
    for step in range(model.config.timesteps, 0, -1):
        t = torch.full((n,), step, device=x.device, dtype=torch.long)
        if step == 1:
            x0_probs = torch.softmax(model.x0_logits(x, t), -1)
            x = sample_categorical(x0_probs, generator)
        else:
            probs, x0_probs = reverse_probs(model, x, t)
            x = sample_categorical(probs, generator)
        if record:
            states.append(x.cpu())
            guesses.append(x0_probs[..., 1].cpu())
    return from_states(x), states, guesses


def sample(model: D3PM, n: int, *, generator: torch.Generator, label: int | None = None) -> torch.Tensor:
    if label is not None:
        raise ValueError("this D3PM is unconditional: it cannot sample a chosen class")
    return reverse(model, n, generator)[0]


@torch.no_grad()
def bound(model: D3PM, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """The variational bound on -log P(x) in nats (B,): L_T (zero: x_T's distribution does not depend on x_0 when
    abar_T = 0) + sum over every t of its term, one draw of x_t each."""
    x0 = to_states(x)
    total = torch.zeros(len(x), device=x.device, dtype=torch.float64)
    for step in range(1, model.config.timesteps + 1):
        t = torch.full((len(x),), step, device=x.device, dtype=torch.long)
        total += terms(model, x0, t, generator)["bound"].double()
    return total.float()


@torch.no_grad()
def evaluate(model: D3PM, dataset, generator: torch.Generator) -> dict:
    model.eval()
    device = next(model.parameters()).device
    return likelihood_metrics(float(bound(model, dataset.x_test.to(device), generator).mean()), dataset.shape)
