"""Latent diffusion (Rombach et al., 2022): run diffusion in a trained VAE's latent space, then decode.

The VAE (frozen, copied into this model so the checkpoint stands alone) compresses an image to a short code z;
a small MLP learns to denoise codes with exactly the DDPM process of `diffusion.py`; a sample is a reverse run
in latent space followed by one pass of the decoder. The diffusion never sees a pixel, so each step is cheap, and
the result is as sharp as the decoder allows: the VAE's blur stays, but its prior's "holes" (codes from N(0, I)
that decode to no digit at all) are avoided because diffusion learns where the real codes lie.

Latents are the encoder's reparameterised samples z = mu + sigma eps, multiplied by latent_scale = 1 / std(z)
measured on the first training batch (the "scale factor" of Rombach et al., section 4.3.2), so the diffusion
sees roughly unit-variance data as its noise schedule assumes.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from gen_core.errors import GenLabError
from gen_core.models import diffusion, vae
from gen_core.models.common import TrainerBase, check_fields

DATA_KINDS = ("image",)


@dataclass(frozen=True)
class Config:
    vae: str = "vae-digits"     # checkpoint (name or path) of the VAE whose latent space is used; read when training
    image_shape: tuple[int, int, int] = (1, 8, 8)
    latent_dim: int = 16        # the VAE's; filled in from its card
    vae_channels: int = 32      # the VAE's; filled in from its card
    timesteps: int = 1000
    schedule: str = "linear"
    hidden: int = 256           # width of the latent denoiser MLP
    num_classes: int = 0
    p_uncond: float = 0.1
    lr: float = 1e-3
    batch_size: int = 128
    ema_decay: float = 0.999

    def diffusion_config(self) -> diffusion.Config:
        return diffusion.Config(image_shape=(self.latent_dim,), timesteps=self.timesteps, schedule=self.schedule,
                                hidden=self.hidden, num_classes=self.num_classes, p_uncond=self.p_uncond,
                                lr=self.lr, batch_size=self.batch_size, ema_decay=self.ema_decay)

    def vae_config(self) -> vae.Config:
        return vae.Config(image_shape=tuple(self.image_shape), latent_dim=self.latent_dim, channels=self.vae_channels)

    def __post_init__(self):
        check_fields(self)
        self.diffusion_config()  # validates the shared fields
        self.vae_config()


class LatentDiffusion(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        self.vae = vae.build(config.vae_config()).requires_grad_(False)
        self.diffusion = diffusion.build(config.diffusion_config())
        self.register_buffer("latent_scale", torch.ones(()))

    def encode(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Images in [-1, 1] -> scaled latent samples (B, latent_dim): the diffusion's data."""
        mu, logvar = self.vae.encode(x)
        eps = torch.randn(mu.shape, generator=generator, device=mu.device)
        return (mu + (0.5 * logvar).exp() * eps) * self.latent_scale

    def decode(self, z_scaled: torch.Tensor) -> torch.Tensor:
        """Scaled latents -> images in [-1, 1]."""
        return self.vae.decode(z_scaled / self.latent_scale)


def build(config: Config) -> LatentDiffusion:
    return LatentDiffusion(config)


def config_for(dataset, **overrides) -> Config:
    """The VAE named by `vae` (default vae-digits) fixes the latent size; it must have been trained on this data."""
    from gen_core import checkpoints

    name = overrides.pop("vae", Config.vae)
    card = checkpoints.read_card(checkpoints.resolve(name))
    if card["family"] != "vae":
        raise GenLabError(f"--set vae={name}: that checkpoint is a {card['family']}, not a vae")
    if card["dataset"]["name"] != dataset.name:
        raise GenLabError(f"--set vae={name}: that VAE was trained on {card['dataset']['name']}, not {dataset.name}")
    vae_config = card["config"]
    defaults = dict(vae=name, image_shape=tuple(dataset.shape), latent_dim=vae_config["latent_dim"],
                    vae_channels=vae_config["channels"])
    return Config(**{**defaults, **overrides})


class Trainer(TrainerBase):
    """Copies the named VAE's weights in, then trains only the latent denoiser."""

    def __init__(self, model: LatentDiffusion, config: Config):
        from gen_core import checkpoints
        from gen_core.models import load_checkpoint  # the family registry, which lists this module

        device = model.latent_scale.device
        trained_vae, _ = load_checkpoint(checkpoints.resolve(config.vae), device)
        model.vae.load_state_dict(trained_vae.state_dict())
        model.vae.eval()
        self.model = model
        self.inner = diffusion.Trainer(model.diffusion, config.diffusion_config())
        self.scaled = False

    def distribute(self, replica) -> None:
        self.inner.distribute(replica)  # only the denoiser trains; the replica wraps the whole model

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        with torch.no_grad():
            if not self.scaled:
                self.model.latent_scale.fill_(1.0)
                self.model.latent_scale.fill_(1.0 / float(self.model.encode(x, generator).std()))
                self.scaled = True
            z = self.model.encode(x, generator)
        self.model.vae.eval()  # the VAE stays frozen and in eval mode while the denoiser trains
        return self.inner.step(z, y, generator)


def sample(model: LatentDiffusion, n: int, *, generator: torch.Generator, label: int | None = None,
           steps: int | None = None, guidance: float = 1.0, sampler: str | None = None,
           eta: float = 0.0) -> torch.Tensor:
    """n images: a reverse diffusion run in latent space, decoded. Options as diffusion.sample."""
    z = diffusion.sample(model.diffusion, n, generator=generator, label=label, steps=steps, guidance=guidance,
                         sampler=sampler, eta=eta)
    return model.decode(z)


@torch.no_grad()
def evaluate(model: LatentDiffusion, dataset, generator: torch.Generator) -> dict:
    """Test loss in latent space, and how the reference classifier spreads 500 samples (DDIM, 50 steps) over the
    classes, next to the same figures for the VAE's own prior samples z ~ N(0, I)."""
    from gen_core import metrics

    model.eval()
    device = model.latent_scale.device
    x = dataset.x_test[:1000].to(device)
    y = dataset.y_test[:1000].to(device) if model.config.num_classes else None
    z = model.encode(x, generator)
    out = {"test_loss": float(diffusion.loss(model.diffusion, z, y, generator, net=model.diffusion.ema))}
    ours = metrics.class_metrics(dataset, sample(model, 500, generator=generator, steps=50).cpu())
    prior = metrics.class_metrics(dataset, vae.sample(model.vae, 500, generator=generator).cpu())
    out.update(ours)
    out.update({f"vae_prior_{k}": v for k, v in prior.items()})
    return out
