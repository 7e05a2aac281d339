"""An energy-based model of 2-D points, sampled by Langevin dynamics (Du & Mordatch, 2019).

The model is one scalar function, the energy E(x); the density it defines is p(x) = exp(-E(x)) / Z with a
normaliser Z nobody computes. The gradient of the log-likelihood needs samples from the model itself
(contrastive divergence, Hinton 2002):

    grad_theta -log p(x) = grad_theta E(x) - E_{x- ~ p}[grad_theta E(x-)],

so training pushes the energy down on data and up on the model's own samples x-, with a small penalty on the
energies' size so they stay near zero (Du & Mordatch, eq. 5, alpha = `energy_reg`):

    loss = E(x+) - E(x-) + alpha (E(x+)^2 + E(x-)^2).

Samples come from Langevin dynamics, gradient descent on the energy with noise (ibid., eq. 2):

    x_{k+1} = x_k - (eps / 2) grad_x E(x_k) + sqrt(eps) * xi,   xi ~ N(0, I).

Short chains would never mix, so the chains persist between steps in a replay buffer (95% of chains continue
from it, 5% restart from uniform noise): every training step adds a few Langevin steps to chains that have run
for thousands. The buffer is part of the model's state and is saved with it.

Points are divided by `data_scale` (their standard deviation) inside, so one set of defaults fits every toy.

Images (digits, shapes) get a convolutional energy and the short-run recipe of Du & Mordatch (Sec. 3.1) and
Nijkamp et al. (2019): chains start from uniform noise in [-1, 1] (or the buffer), take `langevin_steps` steps of
size eps/2 on the gradient with a smaller noise (`noise_scale` instead of sqrt(eps), which at useful step sizes
would drown the image), and stay inside [-1, 1]. Strictly that is no longer Langevin sampling of exp(-E): it is a
learned, noisy descent that the energy is trained to end on data, which is what makes it fast.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gen_core.models.common import TrainerBase, check_fields, check_ranges

DATA_KINDS = ("points", "image")
BOX = 2.5  # restarts are uniform on [-BOX, BOX]^2 in standardised units: every toy lies inside


@dataclass(frozen=True)
class Config:
    data_shape: tuple[int, ...] = (2,)
    hidden: int = 128
    langevin_steps: int = 10    # Langevin steps per training step (the chains persist, so they add up)
    step_size: float = 0.002    # eps of the Langevin update, in standardised units
    energy_reg: float = 0.1     # alpha: keeps the energies near zero
    buffer_size: int = 8192     # persistent chains
    restart: float = 0.05       # share of chains restarted from uniform noise each step
    data_scale: float = 1.0
    lr: float = 1e-3
    batch_size: int = 256
    sample_steps: int = 300     # Langevin steps from fresh noise when sampling anew
    noise_scale: float = 0.0    # the chains' noise std; 0: sqrt(step_size), exact Langevin (images use 0.005)

    def __post_init__(self):
        check_fields(self)
        if tuple(self.data_shape) != (2,) and (len(self.data_shape) != 3 or min(self.data_shape) < 1):
            raise ValueError(f"this energy model is for 2-D points or C,H,W images; got data_shape {self.data_shape}")
        if self.noise_scale < 0:
            raise ValueError(f"noise_scale must be >= 0, got {self.noise_scale}")
        check_ranges(self, hidden=">= 1", langevin_steps=">= 1", buffer_size=">= 1", batch_size=">= 1",
                     sample_steps=">= 1", step_size="> 0", data_scale="> 0", lr="> 0", restart="in [0, 1]")


class EnergyModel(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.is_image = len(config.data_shape) == 3
        h = config.hidden
        # SiLU, not ReLU: Langevin follows grad_x E, which a piecewise-linear net makes piecewise constant.
        if self.is_image:
            c, height, width = config.data_shape
            self.net = nn.Sequential(
                nn.Conv2d(c, h, 3, padding=1), nn.SiLU(), nn.Conv2d(h, h, 3, stride=2, padding=1), nn.SiLU(),
                nn.Conv2d(h, 2 * h, 3, stride=2, padding=1), nn.SiLU(), nn.Flatten(),
                nn.Linear(2 * h * ((height + 3) // 4) * ((width + 3) // 4), h), nn.SiLU(), nn.Linear(h, 1))
        else:
            self.net = nn.Sequential(nn.Linear(2, h), nn.SiLU(), nn.Linear(h, h), nn.SiLU(), nn.Linear(h, h),
                                     nn.SiLU(), nn.Linear(h, 1))
        self.register_buffer("chains", self.noise(config.buffer_size))  # from the global RNG, seeded by train()

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Where chains start: uniform in [-1, 1] for images, on [-BOX, BOX]^2 (standardised) for points."""
        shape = (n, *self.config.data_shape)
        u = (torch.rand(shape, generator=generator, device=generator.device) if generator is not None
             else torch.rand(shape)) * 2 - 1
        return u if self.is_image else u * BOX

    def clamp(self, u: torch.Tensor) -> torch.Tensor:
        return u.clamp(-1, 1) if self.is_image else u.clamp(-3 * BOX, 3 * BOX)

    def energy(self, x: torch.Tensor) -> torch.Tensor:
        """E(x) (B,) for points in data units or images in [-1, 1]."""
        return self.energy_standard(x / self.config.data_scale)

    def energy_standard(self, u: torch.Tensor) -> torch.Tensor:
        return self.net(u).squeeze(1)


def langevin(model: EnergyModel, u: torch.Tensor, steps: int, generator: torch.Generator,
             record_every: int = 0) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Run `steps` Langevin updates from u (B, 2) in standardised units, or (B, C, H, W) images. Returns the end
    points and, when record_every > 0, the chain every record_every steps (for drawing paths)."""
    eps = model.config.step_size
    noise_std = model.config.noise_scale or eps ** 0.5
    # Callers may sample under no_grad or inference_mode (the inference core does); the chain needs grad_x E all
    # the same, so autograd is switched back on here and u is copied out of any inference tensor.
    with torch.inference_mode(False), torch.enable_grad():
        u = u.detach().clone()
        path = [u.clone()] if record_every else []
        for k in range(steps):
            u.requires_grad_(True)
            grad, = torch.autograd.grad(model.energy_standard(u).sum(), u)
            noise = torch.randn(u.shape, generator=generator, device=generator.device).to(u.device)
            u = model.clamp((u - 0.5 * eps * grad + noise_std * noise).detach())
            if record_every and (k + 1) % record_every == 0:
                path.append(u.clone())
    return u, path


def build(config: Config) -> EnergyModel:
    return EnergyModel(config)


def config_for(dataset, **overrides) -> Config:
    if dataset.kind == "image":  # the short-run image recipe (module docstring); images stay in [-1, 1]
        defaults = {"data_shape": tuple(dataset.shape), "hidden": 32, "langevin_steps": 60, "step_size": 20.0,
                    "noise_scale": 0.005, "buffer_size": 4096, "batch_size": 64, "sample_steps": 60, "lr": 1e-4}
    else:
        defaults = {"data_scale": round(float(dataset.x_train.std()), 4)}
    return Config(**{**defaults, **overrides})


class Trainer(TrainerBase):
    def __init__(self, model: EnergyModel, config: Config):
        self.model, self.config = model, config
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, betas=(0.0, 0.999))

    def negatives(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Continue n chains from the replay buffer (a few restarted from noise); returns them and their slots."""
        model, c = self.model, self.config
        device = model.chains.device
        slots = torch.randint(c.buffer_size, (n,), generator=generator, device=generator.device).to(device)
        start = model.chains[slots].clone()
        fresh = torch.rand(n, generator=generator, device=generator.device).to(device) < c.restart
        start[fresh] = model.noise(n, generator).to(device)[fresh]
        end, _ = langevin(model, start, c.langevin_steps, generator)
        return end, slots

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        model, c = self.model, self.config
        model.train()
        generator = generator or torch.Generator(device=x.device)
        negatives, slots = self.negatives(len(x), generator)
        model.chains[slots] = negatives
        e_pos, e_neg = self.losses(lambda: (model.energy(x), model.energy_standard(negatives)))
        loss = e_pos.mean() - e_neg.mean() + c.energy_reg * (e_pos.pow(2).mean() + e_neg.pow(2).mean())
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        self.optimizer.step()
        return {"loss": float(loss.detach()), "e_data": float(e_pos.detach().mean()),
                "e_samples": float(e_neg.detach().mean())}


def buffer_samples(model: EnergyModel, n: int, generator: torch.Generator) -> torch.Tensor:
    """n of the persistent chains' current points, in data units: what training sees as the model's samples."""
    c = model.config
    slots = torch.randint(c.buffer_size, (n,), generator=generator, device=generator.device).to(model.chains.device)
    return model.chains[slots] * c.data_scale


def sample(model: EnergyModel, n: int, *, generator: torch.Generator, label: int | None = None) -> torch.Tensor:
    """n samples: fresh chains from uniform noise, run for `sample_steps` Langevin steps."""
    if label is not None:
        raise ValueError("this energy model is unconditional: it cannot sample a chosen class")
    device = next(model.parameters()).device
    start = model.noise(n, generator).to(device)
    end, _ = langevin(model, start, model.config.sample_steps, generator)
    return end * model.config.data_scale


@torch.no_grad()
def evaluate(model: EnergyModel, dataset, generator: torch.Generator) -> dict:
    from gen_core.mode_metrics import point_metrics

    model.eval()
    device = next(model.parameters()).device
    out = {"energy_test": float(model.energy(dataset.x_test.to(device)).mean())}
    if model.is_image:  # energies of the three kinds of picture the Likelihood Lab histograms
        out["energy_samples"] = float(model.energy(sample(model, 256, generator=generator)).mean())
        out["energy_noise"] = float(model.energy(model.noise(256, generator).to(device)).mean())
        return out
    out.update(point_metrics(sample(model, 2500, generator=generator).cpu(), dataset))
    return out
