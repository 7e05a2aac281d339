"""Generative adversarial networks: vanilla (MLP), DCGAN, and class-conditional (AC-GAN), with four objectives.

The networks (a generator G and a discriminator D) are kept apart from the game they play. With D's logit l(x)
and sigma the logistic function, D(x) = sigma(l(x)), the syllabus's value function is

    V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]                              (Goodfellow et al., 2014, eq. 1)

and the objectives differ in what each player minimises:

    minimax         D: -V                      G: E_z[log(1 - D(G(z)))]   (saturates when D wins)
    non-saturating  D: -V                      G: -E_z[log D(G(z))]       (ibid., section 3)
    hinge           D: E[relu(1 - l(x))] + E[relu(1 + l(G(z)))]   G: -E[l(G(z))]   (Lim & Ye, 2017)
    wgan-gp         D: E[l(G(z))] - E[l(x)] + lambda E[(||grad l(x_hat)|| - 1)^2]  G: -E[l(G(z))]
                                                                             (Gulrajani et al., 2017, alg. 1)

The conditional model feeds the class to both networks and gives D an auxiliary classifier head trained with
cross-entropy on real and generated images (Odena et al., 2017), which makes its samples follow their labels.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.common import num_downsamples

DATA_KINDS = ("image", "points")
ARCHS = ("mlp", "dcgan")
LOSSES = ("minimax", "nonsaturating", "hinge", "wgan-gp")


@dataclass(frozen=True)
class Config:
    data_shape: tuple[int, ...] = (1, 8, 8)  # (C, H, W) for images, (2,) for points
    arch: str = "dcgan"         # "mlp": vanilla GAN; "dcgan": convolutional (images only)
    loss: str = "nonsaturating"  # one of LOSSES
    z_dim: int = 32             # size of the noise vector z ~ N(0, I)
    width: int = 64             # hidden units / 4 (mlp) or channels of the last conv layer (dcgan)
    num_classes: int = 0        # > 0: class-conditional G and D, plus D's auxiliary classifier
    aux_weight: float = 1.0     # weight of the auxiliary class loss (conditional only)
    gp_weight: float = 10.0     # lambda of the WGAN-GP gradient penalty
    d_steps: int = 1            # discriminator updates per generator update
    lr_g: float = 2e-4          # Adam learning rates (Radford et al. 2016 use 2e-4, beta1 = 0.5)
    lr_d: float = 2e-4
    beta1: float = 0.5
    batch_size: int = 64

    def __post_init__(self):
        if self.arch not in ARCHS:
            raise ValueError(f"unknown arch {self.arch!r}; choose one of {', '.join(ARCHS)}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if self.arch == "dcgan" and len(self.data_shape) != 3:
            raise ValueError("the dcgan architecture needs images (C, H, W); use arch=mlp for points")
        if min(self.z_dim, self.width, self.d_steps, self.batch_size) < 1 or self.num_classes < 0:
            raise ValueError("z_dim, width, d_steps and batch_size must be >= 1, num_classes >= 0")

    @property
    def is_image(self) -> bool:
        return len(self.data_shape) == 3


def one_hot(labels: torch.Tensor | None, num_classes: int) -> torch.Tensor | None:
    return F.one_hot(labels, num_classes).float() if num_classes and labels is not None else None


class MLPGenerator(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        hidden, out = 4 * c.width, math.prod(c.data_shape)
        self.net = nn.Sequential(nn.Linear(c.z_dim + c.num_classes, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, out))
        self.shape, self.squash = c.data_shape, c.is_image

    def forward(self, z, y_onehot=None):
        h = self.net(z if y_onehot is None else torch.cat([z, y_onehot], 1))
        h = torch.tanh(h) if self.squash else h  # images live in [-1, 1]; points anywhere
        return h.view(-1, *self.shape)


class MLPDiscriminator(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        hidden = 4 * c.width
        self.body = nn.Sequential(nn.Linear(math.prod(c.data_shape) + c.num_classes, hidden), nn.LeakyReLU(0.2),
                                  nn.Linear(hidden, hidden), nn.LeakyReLU(0.2))
        self.real_fake = nn.Linear(hidden, 1)
        self.classify = nn.Linear(hidden, c.num_classes) if c.num_classes else None

    def forward(self, x, y_onehot=None):
        h = x.flatten(1)
        h = self.body(h if y_onehot is None else torch.cat([h, y_onehot], 1))
        return self.real_fake(h).squeeze(1), (self.classify(h) if self.classify else None)


def _conv_widths(c: Config) -> tuple[int, list[int], int]:
    ups = num_downsamples(min(c.data_shape[1:]))
    return ups, [c.width * 2 ** (ups - k) for k in range(ups + 1)], c.data_shape[1] // 2 ** ups


class ConvGenerator(nn.Module):
    """DCGAN generator (Radford et al., 2016): project z, then transposed convolutions with batch norm."""

    def __init__(self, c: Config):
        super().__init__()
        ups, widths, side = _conv_widths(c)
        self.project = nn.Sequential(nn.Linear(c.z_dim + c.num_classes, widths[0] * side * side),
                                     nn.Unflatten(1, (widths[0], side, side)), nn.BatchNorm2d(widths[0]), nn.ReLU())
        layers = []
        for a, b in zip(widths, widths[1:]):
            layers += [nn.ConvTranspose2d(a, b, 4, stride=2, padding=1), nn.BatchNorm2d(b), nn.ReLU()]
        self.upsample = nn.Sequential(*layers, nn.Conv2d(widths[-1], c.data_shape[0], 3, padding=1), nn.Tanh())

    def forward(self, z, y_onehot=None):
        return self.upsample(self.project(z if y_onehot is None else torch.cat([z, y_onehot], 1)))


class ConvDiscriminator(nn.Module):
    """DCGAN discriminator with leaky ReLUs and no batch norm (so the WGAN-GP penalty stays per-example)."""

    def __init__(self, c: Config):
        super().__init__()
        ups, widths, side = _conv_widths(c)
        widths = widths[::-1]
        layers = [nn.Conv2d(c.data_shape[0] + c.num_classes, widths[0], 3, padding=1), nn.LeakyReLU(0.2)]
        for a, b in zip(widths, widths[1:]):
            layers += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers, nn.Flatten())
        features = widths[-1] * side * side
        self.real_fake = nn.Linear(features, 1)
        self.classify = nn.Linear(features, c.num_classes) if c.num_classes else None

    def forward(self, x, y_onehot=None):
        if y_onehot is not None:  # the label as constant feature maps beside the pixels
            x = torch.cat([x, y_onehot[:, :, None, None].expand(-1, -1, *x.shape[2:])], 1)
        h = self.body(x)
        return self.real_fake(h).squeeze(1), (self.classify(h) if self.classify else None)


class GAN(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        conv = config.arch == "dcgan"
        self.generator = (ConvGenerator if conv else MLPGenerator)(config)
        self.discriminator = (ConvDiscriminator if conv else MLPDiscriminator)(config)

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """G(z, y): (B, z_dim) -> samples (B, *data_shape)."""
        return self.generator(z, one_hot(labels, self.config.num_classes))

    def discriminate(self, x: torch.Tensor, labels: torch.Tensor | None = None):
        """D's logit l(x) (B,) and, for the conditional model, its class logits (B, K)."""
        return self.discriminator(x, one_hot(labels, self.config.num_classes))


def build(config: Config) -> GAN:
    return GAN(config)


def config_for(dataset, conditional: bool = False, **overrides) -> Config:
    """Defaults for a dataset. Points get a small noise vector and MLPs."""
    defaults = dict(data_shape=tuple(dataset.shape))
    if dataset.kind == "points":
        defaults.update(arch="mlp", z_dim=8, width=32, batch_size=256, lr_g=1e-3, lr_d=1e-3)
    if conditional:
        defaults["num_classes"] = dataset.num_classes
    return Config(**{**defaults, **overrides})


# --- the game -------------------------------------------------------------------------------------------------

def value(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))] with D = sigmoid(logit): log sigma(l) = -softplus(-l) and
    log(1 - sigma(l)) = -softplus(l), which stay finite where D saturates."""
    real_term, fake_term = value_terms(real_logits, fake_logits)
    return real_term + fake_term


def value_terms(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The two expectations of V(D, G): E[log D(x)] and E[log(1 - D(G(z)))]."""
    return -F.softplus(-real_logits).mean(), -F.softplus(fake_logits).mean()


def discriminator_loss(loss: str, real_logits, fake_logits) -> torch.Tensor:
    if loss in ("minimax", "nonsaturating"):
        return -value(real_logits, fake_logits)
    if loss == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    return fake_logits.mean() - real_logits.mean()  # wgan-gp, penalty added by the trainer


def generator_loss(loss: str, fake_logits) -> torch.Tensor:
    if loss == "minimax":
        return -F.softplus(fake_logits).mean()     # E[log(1 - D(G(z)))], minimised
    if loss == "nonsaturating":
        return F.softplus(-fake_logits).mean()     # -E[log D(G(z))]
    return -fake_logits.mean()                     # hinge and wgan-gp


def gradient_penalty(model: GAN, real, fake, labels, generator) -> torch.Tensor:
    """E[(||grad_x l(x_hat)||_2 - 1)^2] at random points x_hat between real and generated samples."""
    shape = (len(real),) + (1,) * (real.dim() - 1)
    t = torch.rand(shape, generator=generator, device=generator.device).to(real.device)
    x_hat = (t * real + (1 - t) * fake).requires_grad_(True)
    logits, _ = model.discriminate(x_hat, labels)
    grad, = torch.autograd.grad(logits.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def draw_latents(model: GAN, n: int, generator: torch.Generator, truncation: float = 1.0) -> torch.Tensor:
    """z ~ N(0, I), shrunk towards the mean 0 by `truncation` (psi): psi < 1 trades diversity for quality."""
    z = torch.randn(n, model.config.z_dim, generator=generator, device=generator.device)
    return (z * truncation).to(next(model.parameters()).device)


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


class Trainer:
    def __init__(self, model: GAN, config: Config):
        self.model, self.config = model, config
        betas = (0.0, 0.9) if config.loss == "wgan-gp" else (config.beta1, 0.999)
        self.opt_g = torch.optim.Adam(model.generator.parameters(), lr=config.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=config.lr_d, betas=betas)

    def discriminator_step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator) -> dict:
        """One update of D on real x and a fresh generated batch (G frozen: its output is detached)."""
        model, c = self.model, self.config
        real_labels = y if c.num_classes else None
        fake_labels = draw_labels(model, len(x), generator)
        with torch.no_grad():
            fake = model.generate(draw_latents(model, len(x), generator), fake_labels)
        real_logits, real_class = model.discriminate(x, real_labels)
        fake_logits, fake_class = model.discriminate(fake, fake_labels)
        loss_d = discriminator_loss(c.loss, real_logits, fake_logits)
        if c.loss == "wgan-gp":
            loss_d = loss_d + c.gp_weight * gradient_penalty(model, x, fake, real_labels, generator)
        if c.num_classes:
            loss_d = loss_d + c.aux_weight * (F.cross_entropy(real_class, y) + F.cross_entropy(fake_class, fake_labels))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        real_term, fake_term = value_terms(real_logits.detach(), fake_logits.detach())
        return {"loss_d": float(loss_d.detach()),
                "d_real": float(torch.sigmoid(real_logits.detach()).mean()),
                "d_fake": float(torch.sigmoid(fake_logits.detach()).mean()),
                "log_d_real": float(real_term), "log_1m_d_fake": float(fake_term)}

    def generator_step(self, n: int, generator: torch.Generator) -> dict:
        """One update of G against the current D (only G's optimiser steps)."""
        model, c = self.model, self.config
        fake_labels = draw_labels(model, n, generator)
        g_logits, g_class = model.discriminate(model.generate(draw_latents(model, n, generator), fake_labels),
                                               fake_labels)
        loss_g = generator_loss(c.loss, g_logits)
        if c.num_classes:
            loss_g = loss_g + c.aux_weight * F.cross_entropy(g_class, fake_labels)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        return {"loss_g": float(loss_g.detach())}

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        """d_steps discriminator updates, then one generator update. Returns both losses, D(x) and D(G(z))
        as mean probabilities, and the two terms of V(D, G), from D's last update."""
        self.model.train()
        generator = generator or torch.Generator(device=x.device)
        for _ in range(self.config.d_steps):
            d_metrics = self.discriminator_step(x, y, generator)
        g_metrics = self.generator_step(len(x), generator)
        return {"loss_d": d_metrics["loss_d"], **g_metrics, **d_metrics}  # the losses first, for progress bars


def sample(model: GAN, n: int, *, generator: torch.Generator, label: int | None = None,
           truncation: float = 1.0) -> torch.Tensor:
    """n samples G(psi * z, y): images (n, C, H, W) in [-1, 1] or points (n, 2)."""
    labels = draw_labels(model, n, generator, label)
    return model.generate(draw_latents(model, n, generator, truncation), labels)


@torch.no_grad()
def evaluate(model: GAN, dataset, generator: torch.Generator) -> dict:
    """D's mean opinion of held-out real data and of fresh samples, and how far samples lie from their nearest
    training example compared with held-out real data (a memorisation check); class metrics where a reference
    classifier exists."""
    from gen_core import metrics

    model.eval()
    device = next(model.parameters()).device
    n = min(1000, len(dataset.x_test))
    fake = sample(model, n, generator=generator).float()
    real = dataset.x_test[:n].to(device)
    real_labels = dataset.y_test[:n].to(device) if model.config.num_classes else None
    real_logits, _ = model.discriminate(real, real_labels)
    fake_logits, _ = model.discriminate(fake, draw_labels(model, n, generator))
    out = {"d_real_test": float(torch.sigmoid(real_logits).mean()),
           "d_fake": float(torch.sigmoid(fake_logits).mean()),
           "nn_distance_samples": float(metrics.nearest_neighbours(fake.cpu(), dataset.x_train)[1].median()),
           "nn_distance_test": float(metrics.nearest_neighbours(dataset.x_test[:n], dataset.x_train)[1].median())}
    out.update(metrics.class_metrics(dataset, fake.cpu()))
    if model.config.num_classes:
        out["label_accuracy"] = metrics.conditional_accuracy(
            lambda label, k: sample(model, k, generator=generator, label=label), dataset)
    return out


# --- for the studio: samples with the discriminator's opinion, and paths through z ----------------------------

@torch.no_grad()
def sample_batch(model: GAN, n: int, *, generator: torch.Generator, truncation: float = 1.0,
                 labels: torch.Tensor | None = None) -> dict:
    """n samples with what produced them and what D thinks of them, all on the CPU:
    z (n, z_dim), labels (n,) or None, x (n, ...), d (n,) = D(x) as a probability."""
    device = next(model.parameters()).device
    z = draw_latents(model, n, generator, truncation)
    labels = labels.to(device) if labels is not None else draw_labels(model, n, generator)
    x = model.generate(z, labels)
    logits, _ = model.discriminate(x, labels)
    return {"z": z.cpu(), "labels": None if labels is None else labels.cpu(), "x": x.float().cpu(),
            "d": torch.sigmoid(logits.float()).cpu()}


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
