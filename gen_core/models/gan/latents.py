"""What G is fed: z ~ N(0, I) (scaled by psi, or BigGAN's truncated normal), class labels, and the family's
`sample`, plus the studio's batches with D's opinion and paths through z."""
from __future__ import annotations


import torch
import torch.nn.functional as F

from gen_core.models.gan.networks import GAN


def draw_latents(model: GAN, n: int, generator: torch.Generator, truncation: float = 1.0) -> torch.Tensor:
    """z ~ N(0, I), shrunk towards the mean 0 by `truncation` (psi): psi < 1 trades diversity for quality.
    (StyleGAN's z is left whole: its generate() truncates in W.)"""
    z = torch.randn(n, model.config.z_dim, generator=generator, device=generator.device)
    return (z if model.truncates_in_w else z * truncation).to(next(model.parameters()).device)


def truncated_latents(model: GAN, n: int, threshold: float, generator: torch.Generator) -> torch.Tensor:
    """BigGAN's truncation trick: z from N(0, I) truncated to [-threshold, threshold] in each coordinate (values
    outside are redrawn, Brock et al. 2019, sec. 3.1). Drawn by the inverse CDF from one set of uniforms, so
    the same generator state gives the same z for every threshold, each coordinate moving monotonically with it:
    a curve over thresholds compares like with like."""
    u = torch.rand(n, model.config.z_dim, generator=generator, device=generator.device, dtype=torch.float64)
    normal = torch.distributions.Normal(0.0, 1.0)
    low = normal.cdf(torch.tensor(-float(threshold), dtype=torch.float64))
    z = normal.icdf(low + u * (1 - 2 * low)).clamp(-threshold, threshold)
    return z.float().to(next(model.parameters()).device)


def draw_labels(model: GAN, n: int, generator: torch.Generator, label: int | None = None):
    """Class labels for n samples of a conditional model: all `label`, or uniform at random; None otherwise."""
    if not model.config.num_classes:
        if label is not None:
            raise ValueError("this GAN is unconditional: it cannot sample a chosen class")
        return None
    device = next(model.parameters()).device
    if label is not None:
        return torch.full((n,), int(label), dtype=torch.long, device=device)
    return torch.randint(model.config.num_classes, (n,), generator=generator, device=generator.device).to(device)


def has_truncation_curve(model: GAN) -> bool:
    """A conditional model with BigGAN's networks (BigGAN and the self-attention GAN): it has a truncation curve."""
    return model.config.arch == "biggan" and bool(model.config.num_classes)


def sample(model: GAN, n: int, *, generator: torch.Generator, label: int | None = None,
           truncation: float = 1.0) -> torch.Tensor:
    """n samples G(psi * z, y) (StyleGAN: psi in W): images (n, C, H, W) in [-1, 1] or points (n, 2)."""
    labels = draw_labels(model, n, generator, label)
    return model.generate(draw_latents(model, n, generator, truncation), labels, truncation=truncation,
                          noise_generator=generator)


@torch.no_grad()
def sample_batch(model: GAN, n: int, *, generator: torch.Generator, truncation: float = 1.0,
                 labels: torch.Tensor | None = None, judge: bool = True) -> dict:
    """n samples with what produced them and what D thinks of them, all on the CPU:
    z (n, z_dim), labels (n,) or None, x (n, ...), d (n,) = D(x) as a probability (with judge=False no D: the
    same samples at ~60% of the cost)."""
    device = next(model.parameters()).device
    z = draw_latents(model, n, generator, truncation)
    labels = labels.to(device) if labels is not None else draw_labels(model, n, generator)
    x = model.generate(z, labels, truncation=truncation, noise_generator=generator)
    batch = {"z": z.cpu(), "labels": None if labels is None else labels.cpu(), "x": x.float().cpu()}
    if judge:
        logits, _ = model.discriminate(x, labels)
        batch["d"] = torch.sigmoid(logits.float()).cpu()
    return batch


@torch.no_grad()
def generate_path(model: GAN, z: torch.Tensor, label_from: int | None = None,
                  label_to: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Decode a path of latents z (T, z_dim); for the conditional model the one-hot class also moves linearly
    from label_from to label_to, so a 3 can morph into an 8. Returns samples (T, ...) and D(x) (T,), on the CPU."""
    device = next(model.parameters()).device
    z = z.to(device)
    y = None
    if model.config.num_classes:
        k, t = model.config.num_classes, torch.linspace(0, 1, len(z), device=device)[:, None]
        start = F.one_hot(torch.tensor(label_from, device=device), k).float()
        end = F.one_hot(torch.tensor(label_to, device=device), k).float()
        y = (1 - t) * start + t * end
    x = model.generator(z, y)
    logits, _ = model.discriminator(x, y)
    return x.float().cpu(), torch.sigmoid(logits.float()).cpu()
