"""Variational diffusion: a learned noise schedule, trained on the continuous-time bound (Kingma, Salimans, Poole
& Ho, "Variational Diffusion Models", 2021).

The forward process is z_t = alpha_t x + sigma_t eps with alpha_t^2 = sigmoid(-gamma(t)), sigma_t^2 =
sigmoid(gamma(t)), so log SNR(t) = -gamma(t). Here gamma is learned: a monotone network (ibid., App. H; positive
weights keep it increasing)

    gamma(t) = gamma_0 + (gamma_1 - gamma_0) (g(t) - g(0)) / (g(1) - g(0)),

with learned end points gamma_0, gamma_1. In continuous time the bound on -log p(x) is (ibid., eq. 17 and 4)

    L = KL(q(z_1 | x) || N(0, I))  +  E_q[-log p(x | z_0)]  +  1/2 E_{t ~ U(0,1), eps} [gamma'(t) |eps - eps_hat(z_t, t)|^2]

The diffusion term's expectation does not depend on the schedule between the end points (only on gamma_0 and
gamma_1: ibid., eq. 21), but its variance does, so the schedule's interior is trained to minimise the variance
(the second moment) of the per-image loss while the network and the end points minimise the bound itself.
The decoder p(x | z_0) is a softmax over the data's `levels` grey levels around z_0 / alpha_0 (eq. 27-28).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.common import TrainerBase, check_fields, likelihood_metrics
from gen_core.models import diffusion

DATA_KINDS = ("image",)


@dataclass(frozen=True)
class Config:
    image_shape: tuple[int, ...] = (1, 8, 8)
    levels: int = 17            # grey levels of the data, for the discrete decoder (2: binarised)
    channels: int = 32
    gamma_min: float = -10.0    # starting end points of gamma = -log SNR
    gamma_max: float = 8.0
    sample_steps: int = 200     # the ancestral sampler's grid
    lr: float = 2e-3
    batch_size: int = 64

    def __post_init__(self):
        check_fields(self)
        if len(self.image_shape) != 3 or min(self.image_shape) < 1:
            raise ValueError(f"image_shape must be C,H,W; got {self.image_shape}")
        if not 2 <= self.levels <= 256 or self.channels < 8 or not 2 <= self.sample_steps <= 5000:
            raise ValueError("levels must be 2..256, channels >= 8, sample_steps 2..5000")
        if not self.gamma_min < self.gamma_max or self.batch_size < 1:
            raise ValueError("gamma_min must be below gamma_max and batch_size >= 1")


class MonotoneSchedule(nn.Module):
    """gamma(t), increasing in t, with learned end points (positive weights through softplus)."""

    def __init__(self, gamma_min: float, gamma_max: float, hidden: int = 256):
        super().__init__()
        self.gamma_0 = nn.Parameter(torch.tensor(float(gamma_min)))
        self.gamma_1 = nn.Parameter(torch.tensor(float(gamma_max)))
        self.w1, self.b1 = nn.Parameter(torch.ones(1, 1)), nn.Parameter(torch.zeros(1))
        self.w2, self.b2 = nn.Parameter(torch.randn(1, hidden) * 0.5), nn.Parameter(torch.zeros(hidden))
        self.w3 = nn.Parameter(torch.randn(hidden, 1) * 0.5)

    def shape(self, t: torch.Tensor) -> torch.Tensor:
        first = t[:, None] @ F.softplus(self.w1) + self.b1
        return (first + torch.sigmoid(first @ F.softplus(self.w2) + self.b2) @ F.softplus(self.w3) / 256)[:, 0]

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        ends = self.shape(torch.tensor([0.0, 1.0], device=t.device))
        unit = (self.shape(t) - ends[0]) / (ends[1] - ends[0])
        return self.gamma_0 + (self.gamma_1 - self.gamma_0) * unit

    def interior(self):
        return [self.w1, self.b1, self.w2, self.b2, self.w3]


class VDM(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.schedule = MonotoneSchedule(config.gamma_min, config.gamma_max)
        self.net = diffusion.UNet(diffusion.Config(image_shape=config.image_shape, channels=config.channels))

    def eps_hat(self, z: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(z, t * 1000)  # the U-Net's sinusoidal embedding, on the DDPM's familiar 0..1000 scale


def alpha_sigma(gamma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.sigmoid(-gamma).sqrt(), torch.sigmoid(gamma).sqrt()


def grid_values(x: torch.Tensor, levels: int) -> torch.Tensor:
    return torch.linspace(-1, 1, levels, device=x.device, dtype=x.dtype)


def to_level_index(x: torch.Tensor, levels: int) -> torch.Tensor:
    return torch.round((x.clamp(-1, 1) + 1) / 2 * (levels - 1)).long()


def bound_terms(model: VDM, x: torch.Tensor, generator: torch.Generator, t: torch.Tensor | None = None) -> dict:
    """Per image (B,), in nats: the prior KL, the reconstruction -log p(x | z_0) and the diffusion term at one t
    per image (an unbiased estimate of its expectation over t)."""
    levels = model.config.levels
    x = grid_values(x, levels)[to_level_index(x, levels)]  # exactly on the data's levels
    n = len(x)
    device = x.device
    ends = model.schedule(torch.tensor([0.0, 1.0], device=device))
    alpha_1, sigma_1 = alpha_sigma(ends[1])
    prior = 0.5 * (sigma_1 ** 2 + alpha_1 ** 2 * x ** 2 - 1 - torch.log(sigma_1 ** 2)).flatten(1).sum(1)
    # reconstruction: z_0 ~ q(z_0 | x), then a softmax over the levels of -(z_0 / alpha_0 - v)^2 / (2 sigma_0^2 / alpha_0^2)
    alpha_0, sigma_0 = alpha_sigma(ends[0])
    eps0 = torch.randn(x.shape, generator=generator, device=generator.device).to(device)
    z0 = alpha_0 * x + sigma_0 * eps0
    values = grid_values(x, levels)
    scaled = z0 / alpha_0
    logits = -0.5 * (scaled[..., None] - values) ** 2 * (alpha_0 / sigma_0) ** 2
    recon = -torch.log_softmax(logits, -1).gather(-1, to_level_index(x, levels)[..., None])[..., 0].flatten(1).sum(1)
    # diffusion term: 1/2 gamma'(t) |eps - eps_hat|^2 with gamma' by autograd
    if t is None:
        t = torch.rand(n, generator=generator, device=generator.device).to(device)
    with torch.inference_mode(False), torch.enable_grad():  # gamma' by autograd, even under the core's inference mode
        t = t.detach().clone().requires_grad_(True)
        gamma = model.schedule(t)
        gamma_prime, = torch.autograd.grad(gamma.sum(), t, create_graph=model.training)
    alpha_t, sigma_t = alpha_sigma(gamma)
    eps = torch.randn(x.shape, generator=generator, device=generator.device).to(device)
    z_t = alpha_t[:, None, None, None] * x + sigma_t[:, None, None, None] * eps
    error = (eps - model.eps_hat(z_t, t.detach())).pow(2).flatten(1).sum(1)
    return {"prior": prior, "recon": recon, "diffusion": 0.5 * gamma_prime * error}


def build(config: Config) -> VDM:
    return VDM(config)


def config_for(dataset, **overrides) -> Config:
    levels = int(torch.unique(dataset.x_train[:500]).numel())
    return Config(**{"image_shape": tuple(dataset.shape), "levels": max(2, min(levels, 256)), **overrides})


class Trainer(TrainerBase):
    """The network and the end points minimise the bound; the schedule's interior minimises the variance of the
    per-image loss (its second moment, since its mean does not depend on the interior)."""

    def __init__(self, model: VDM, config: Config):
        self.model = model
        interior = {id(p) for p in model.schedule.interior()}
        self.main = [p for p in model.parameters() if id(p) not in interior]
        self.interior = model.schedule.interior()
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        model = self.model
        model.train()
        generator = generator or torch.Generator(device=x.device)
        out = bound_terms(model, x, generator)
        per_image = out["prior"] + out["recon"] + out["diffusion"]
        self.optimizer.zero_grad(set_to_none=True)
        main = torch.autograd.grad(per_image.mean(), self.main, retain_graph=True, allow_unused=True)
        interior = torch.autograd.grad(out["diffusion"].pow(2).mean(), self.interior, allow_unused=True)
        self.set_gradients(self.main + self.interior, list(main) + list(interior))
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        self.optimizer.step()
        return {"bound": float(per_image.detach().mean()), "diffusion": float(out["diffusion"].detach().mean()),
                "gamma_0": float(model.schedule.gamma_0.detach()), "gamma_1": float(model.schedule.gamma_1.detach())}


@torch.no_grad()
def log_snr_curve(model: VDM, points: int = 101) -> tuple[torch.Tensor, torch.Tensor]:
    """t in [0, 1] and the learned log SNR(t) = -gamma(t)."""
    device = next(model.parameters()).device
    t = torch.linspace(0, 1, points, device=device)
    return t.cpu(), -model.schedule(t).cpu()


@torch.no_grad()
def sample(model: VDM, n: int, *, generator: torch.Generator, label: int | None = None,
           steps: int | None = None) -> torch.Tensor:
    """Ancestral sampling on a uniform grid of t: the DDPM step between two noise levels of the learned schedule
    (abar = alpha^2), x0_hat clipped to [-1, 1]; the end rounds z_0 / alpha_0 to the nearest data level."""
    if label is not None:
        raise ValueError("this VDM is unconditional: it cannot sample a chosen class")
    device = next(model.parameters()).device
    steps = steps or model.config.sample_steps
    grid = torch.linspace(1, 0, steps + 1, device=device)
    abar = torch.sigmoid(-model.schedule(grid))
    z = torch.randn(n, *model.config.image_shape, generator=generator, device=generator.device).to(device)
    for k in range(steps):
        t, a_t, a_s = grid[k], abar[k], abar[k + 1]
        eps = model.eps_hat(z, t.expand(n))
        x0 = ((z - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-1, 1)
        beta = 1 - a_t / a_s
        mean = (a_s.sqrt() * beta * x0 + (a_t / a_s).sqrt() * (1 - a_s) * z) / (1 - a_t)
        variance = (1 - a_s) / (1 - a_t) * beta
        noise = torch.randn(z.shape, generator=generator, device=generator.device).to(device)
        z = mean + variance.clamp(min=0).sqrt() * noise if k < steps - 1 else mean
    values = grid_values(z, model.config.levels)
    return values[to_level_index(z / abar[-1].sqrt(), model.config.levels)]


@torch.no_grad()
def bound(model: VDM, x: torch.Tensor, generator: torch.Generator, t_samples: int = 32) -> torch.Tensor:
    """The bound per image (B,) in nats, its diffusion term averaged over `t_samples` stratified times."""
    total = 0
    for k in range(t_samples):
        u = torch.rand(len(x), generator=generator, device=generator.device).to(x.device)
        out = bound_terms(model, x, generator, t=(k + u) / t_samples)
        total = total + out["diffusion"] / t_samples + (out["prior"] + out["recon"]) / t_samples
    return total


@torch.no_grad()
def evaluate(model: VDM, dataset, generator: torch.Generator) -> dict:
    model.eval()
    device = next(model.parameters()).device
    nats = float(bound(model, dataset.x_test.to(device), generator).mean())
    ends = model.schedule(torch.tensor([0.0, 1.0], device=device))
    return {**likelihood_metrics(nats, dataset.shape),
            "log_snr_0": round(float(-ends[0]), 3), "log_snr_1": round(float(-ends[1]), 3)}
