"""RealNVP, a normalizing flow for 2-D points (Dinh, Sohl-Dickstein & Bengio, 2017).

A flow is an invertible map g from a standard Gaussian z to data x. Its density is exact by the change of
variables (ibid., eq. 3):

    log p(x) = log N(f(x); 0, I) + log |det df/dx|,      f = g^-1,

so it trains by maximum likelihood alone: no discriminator, no ELBO. g is a stack of affine coupling layers; each
keeps one coordinate (the mask) and moves the other by a scale and shift computed from the kept one (eq. 7):

    x_b' = x_b * exp(s(x_a)) + t(x_a),   x_a' = x_a,     log |det| = s(x_a).

Layers alternate which coordinate they move, so after a few the whole plane has been bent. The price of the exact
likelihood is the invertibility constraint: every layer is a smooth bijection, so the flow cannot tear the plane
and leaves thin bridges of density between separated modes.

Points are divided by `data_scale` (their standard deviation) before the flow and multiplied back after, so one
set of defaults fits toys of any size; the log-likelihood is reported in the data's own units.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from gen_core.models.common import MaximumLikelihoodTrainer, check_fields, check_ranges

DATA_KINDS = ("points",)


@dataclass(frozen=True)
class Config:
    data_shape: tuple[int, ...] = (2,)
    num_layers: int = 8         # affine coupling layers, alternating which coordinate moves
    hidden: int = 64            # hidden units of each layer's s and t network
    data_scale: float = 1.0     # points are divided by this (their std) before the flow
    lr: float = 2e-3
    batch_size: int = 256

    def __post_init__(self):
        check_fields(self)
        if tuple(self.data_shape) != (2,):
            raise ValueError(f"RealNVP here models 2-D points; got data_shape {self.data_shape}")
        check_ranges(self, num_layers=">= 1", hidden=">= 1", batch_size=">= 1", data_scale="> 0", lr="> 0")


class AffineCoupling(nn.Module):
    """Moves coordinate `moved` by a scale and shift that depend on the other coordinate only."""

    def __init__(self, moved: int, hidden: int):
        super().__init__()
        self.moved, self.kept = moved, 1 - moved
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.SiLU(), nn.Linear(hidden, hidden), nn.SiLU(),
                                 nn.Linear(hidden, 2))
        nn.init.zeros_(self.net[-1].weight)  # start as the identity: training begins from the Gaussian itself
        nn.init.zeros_(self.net[-1].bias)

    def scale_shift(self, kept: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = self.net(kept).chunk(2, dim=1)
        return torch.tanh(s) * 2.0, t  # |s| <= 2: one layer scales by at most e^2, which keeps training stable

    def forward(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Towards the data: (B, 2) -> (B, 2) and log |det dx/dz| (B,)."""
        s, t = self.scale_shift(z[:, self.kept:self.kept + 1])
        moved = z[:, self.moved:self.moved + 1] * torch.exp(s) + t
        return self._assemble(z, moved), s.squeeze(1)

    def inverse(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Towards the Gaussian: (B, 2) -> (B, 2) and log |det dz/dx| (B,)."""
        s, t = self.scale_shift(x[:, self.kept:self.kept + 1])
        moved = (x[:, self.moved:self.moved + 1] - t) * torch.exp(-s)
        return self._assemble(x, moved), -s.squeeze(1)

    def _assemble(self, x, moved):
        parts = [x[:, self.kept:self.kept + 1], moved]
        return torch.cat(parts if self.moved == 1 else parts[::-1], dim=1)


class RealNVP(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.layers = nn.ModuleList(AffineCoupling(k % 2, config.hidden) for k in range(config.num_layers))

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log p(x) (B,) in the data's units, by the change of variables."""
        scale = self.config.data_scale
        h = x / scale
        log_det = torch.full((len(x),), -2 * math.log(scale), device=x.device)  # the 1/scale of both coordinates
        for layer in reversed(self.layers):
            h, ld = layer.inverse(h)
            log_det = log_det + ld
        log_normal = -0.5 * (h.pow(2).sum(1) + 2 * math.log(2 * math.pi))
        return log_normal + log_det

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        """x = g(z): (B, 2) Gaussian draws to data."""
        return self.trajectory(z)[-1]

    def trajectory(self, z: torch.Tensor) -> list[torch.Tensor]:
        """z and its image after each coupling layer, all in data units: num_layers + 1 tensors (B, 2).
        Drawn on a grid of z this shows the plane being bent, layer by layer, from the Gaussian to the data."""
        scale = self.config.data_scale
        out, h = [z * scale], z
        for layer in self.layers:
            h, _ = layer(h)
            out.append(h * scale)
        return out


def build(config: Config) -> RealNVP:
    return RealNVP(config)


def config_for(dataset, **overrides) -> Config:
    return Config(**{"data_scale": round(float(dataset.x_train.std()), 4), **overrides})


class Trainer(MaximumLikelihoodTrainer):
    clip = 10.0  # a bad batch early on can send exp(s) far


def sample(model: RealNVP, n: int, *, generator: torch.Generator, label: int | None = None) -> torch.Tensor:
    if label is not None:
        raise ValueError("this flow is unconditional: it cannot sample a chosen class")
    device = next(model.parameters()).device
    z = torch.randn(n, 2, generator=generator, device=generator.device).to(device)
    return model.generate(z)


@torch.no_grad()
def evaluate(model: RealNVP, dataset, generator: torch.Generator) -> dict:
    """Test log-likelihood (nats per point: the one family here that has it exactly) and mode metrics."""
    from gen_core.mode_metrics import point_metrics

    model.eval()
    device = next(model.parameters()).device
    out = {"test_log_likelihood": float(model.log_prob(dataset.x_test.to(device)).mean())}
    out.update(point_metrics(sample(model, 2500, generator=generator).cpu(), dataset))
    return out
