"""Training: the simple loss L = E || eps - eps_theta(x_t, t) ||^2 (Ho et al., 2020, eq. 14) with labels dropped
p_uncond of the time (classifier-free guidance), and the family's Trainer (AdamW, warm-up, EMA)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.common import TrainerBase
from gen_core.models.diffusion.config import Config
from gen_core.models.diffusion.networks import Diffusion
from gen_core.models.diffusion.schedule import q_sample, to_model_space


def loss(model: Diffusion, x0: torch.Tensor, labels: torch.Tensor | None, generator: torch.Generator | None = None,
         net: nn.Module | None = None) -> torch.Tensor:
    """The simple loss (eq. 14) at uniformly drawn timesteps, with labels dropped p_uncond of the time."""
    net = net or model.net
    x0 = to_model_space(model, x0)
    b, device = len(x0), x0.device
    t = torch.randint(0, model.config.timesteps, (b,), generator=generator, device=device)
    eps = torch.randn(x0.shape, generator=generator, device=device)
    x_t = q_sample(model, x0, t, eps)
    if model.config.num_classes:
        drop = torch.rand(b, generator=generator, device=device) < model.config.p_uncond
        labels = torch.where(drop, torch.full_like(labels, model.null_label), labels)
        return F.mse_loss(net(x_t, t, labels), eps)
    return F.mse_loss(net(x_t, t), eps)


class Trainer(TrainerBase):
    def __init__(self, model: Diffusion, config: Config):
        self.model = model
        self.config = config
        self.optimizer = torch.optim.AdamW(model.net.parameters(), lr=config.lr, weight_decay=0.0)
        self.steps = 0

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        self.model.train()
        # Warm the learning rate up over 200 steps: Adam's first updates are large and unsteady.
        for group in self.optimizer.param_groups:
            group["lr"] = self.config.lr * min(1.0, (self.steps + 1) / 200)
        value = self.losses(lambda: loss(self.model, x, y if self.config.num_classes else None, generator))
        self.optimizer.zero_grad(set_to_none=True)
        value.backward()
        torch.nn.utils.clip_grad_norm_(self.model.net.parameters(), 1.0)
        self.optimizer.step()
        self.steps += 1
        # EMA with a short warm-up (decay grows as (1 + n) / (10 + n)) so early checkpoints are not stuck at init.
        decay = min(self.config.ema_decay, (1 + self.steps) / (10 + self.steps))
        with torch.no_grad():
            for ema, live in zip(self.model.ema.parameters(), self.model.net.parameters()):
                ema.lerp_(live, 1 - decay)
        return {"loss": float(value.detach())}
