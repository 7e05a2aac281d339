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

The progressive GAN (arch "progressive", Karras et al., 2018) grows both networks during training: G and D first
work at the lowest resolution (4x4 for digits), then the next resolution is faded in, its output blended with the
upsampled coarse one by a weight alpha going from 0 to 1 over `grow_steps` iterations, and so on up to full size.
Large shapes are learned first, details later. The networks keep a `level` (resolution index plus alpha), saved
with the weights; every sample is shown at full size (coarse levels upsampled).

Two remedies for mode collapse, used by the 2-D Playground's presets:
- packing (PacGAN, Lin et al., 2018): D judges `pack` samples at once, concatenated, so a generator that puts
  every sample on one mode is caught by the lack of variety inside each pack;
- a learning-rate schedule (`anneal_steps`): constant for the first half, then linearly down to zero. A GAN's
  simultaneous game does not converge with a fixed step size: the generator keeps circling around the modes, and
  only shrinking steps let it settle onto them (the sharp modes of ring8 need it).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models import gan_variants
from gen_core.models.common import check_fields

DATA_KINDS = ("image", "points")
ARCHS = ("mlp", "dcgan", "progressive", "biggan", "stylegan")
LOSSES = ("minimax", "nonsaturating", "hinge", "wgan-gp")


@dataclass(frozen=True)
class Config:
    data_shape: tuple[int, ...] = (1, 8, 8)  # (C, H, W) for images, (2,) for points
    arch: str = "dcgan"         # "mlp": vanilla GAN; "dcgan": convolutional; "progressive": grown (images only)
    loss: str = "nonsaturating"  # one of LOSSES
    z_dim: int = 32             # size of the noise vector z ~ N(0, I)
    width: int = 64             # hidden units / 4 (mlp) or channels of the last conv layer (dcgan)
    num_classes: int = 0        # > 0: class-conditional G and D, plus D's auxiliary classifier
    aux_weight: float = 1.0     # weight of the auxiliary class loss (conditional only)
    gp_weight: float = 10.0     # lambda of the WGAN-GP gradient penalty
    d_steps: int = 1            # discriminator updates per iteration
    g_steps: int = 1            # generator updates per iteration
    depth: int = 2              # hidden layers of each MLP (mlp only)
    pack: int = 1               # PacGAN: D judges this many samples at once (mlp only; batch_size must divide)
    anneal_steps: int = 0       # > 0: learning rates constant for anneal_steps / 2, then linearly to 0 here
    grow_steps: int = 500       # progressive: iterations at each resolution, and again to fade in the next
    data_scale: float = 1.0     # points only: D sees x / data_scale and G's output is multiplied by it
    embed_dim: int = 16         # biggan: size of the class embedding shared by all of G's batch norms
    attention: bool = False     # biggan: a self-attention layer in G and D at half the image side (SAGAN)
    ortho_weight: float = 0.0   # beta of BigGAN's orthogonal regularisation of G's weights (1e-4 there)
    mapping_layers: int = 4     # stylegan: layers of the mapping network z -> w
    mixing: float = 0.0         # stylegan: share of training batches whose styles mix two w's (0.9 there)
    r1_weight: float = 0.0      # gamma of the R1 penalty gamma/2 E||grad_x l(x)||^2 on real data (Mescheder 2018)
    lr_g: float = 2e-4          # Adam learning rates (Radford et al. 2016 use 2e-4, beta1 = 0.5)
    lr_d: float = 2e-4
    beta1: float = 0.5
    batch_size: int = 64

    def __post_init__(self):
        check_fields(self)
        if self.arch not in ARCHS:
            raise ValueError(f"unknown arch {self.arch!r}; choose one of {', '.join(ARCHS)}")
        if self.loss not in LOSSES:
            raise ValueError(f"unknown loss {self.loss!r}; choose one of {', '.join(LOSSES)}")
        if self.arch != "mlp" and len(self.data_shape) != 3:
            raise ValueError(f"the {self.arch} architecture needs images (C, H, W); use arch=mlp for points")
        if self.arch == "progressive" and (self.num_classes or self.grow_steps < 1):
            raise ValueError("the progressive GAN here is unconditional and needs grow_steps >= 1")
        if min(self.z_dim, self.width, self.d_steps, self.g_steps, self.batch_size, self.depth, self.pack) < 1 \
                or self.num_classes < 0 or self.anneal_steps < 0:
            raise ValueError("z_dim, width, depth, pack, d_steps, g_steps and batch_size must be >= 1, "
                             "num_classes and anneal_steps >= 0")
        if not 0 <= self.beta1 < 1 or self.aux_weight < 0 or self.gp_weight < 0 or self.data_scale <= 0:
            raise ValueError("beta1 must be in [0, 1), aux_weight and gp_weight >= 0, data_scale > 0")
        if self.arch in ("biggan", "stylegan") and (self.pack > 1 or self.d_steps < 1):
            raise ValueError(f"the {self.arch} networks judge one sample at a time (pack = 1)")
        if self.arch == "stylegan" and self.num_classes:
            raise ValueError("the StyleGAN here is unconditional")
        if self.attention and (self.arch != "biggan" or min(self.data_shape[1:]) < 8):
            raise ValueError("attention is a layer of the biggan networks, on images of side 8 or more")
        if self.ortho_weight < 0 or self.r1_weight < 0 or not 0 <= self.mixing <= 1 or self.embed_dim < 1 \
                or self.mapping_layers < 1:
            raise ValueError("ortho_weight and r1_weight must be >= 0, mixing in [0, 1], embed_dim and "
                             "mapping_layers >= 1")
        if self.pack > 1 and (self.arch != "mlp" or self.num_classes or self.batch_size % self.pack):
            raise ValueError("packing needs the unconditional mlp and a batch_size divisible by pack")

    @property
    def is_image(self) -> bool:
        return len(self.data_shape) == 3


def mlp(sizes: list[int], activation) -> nn.Sequential:
    """Linear layers of the given sizes with `activation` between them (none after the last)."""
    layers = []
    for a, b in zip(sizes, sizes[1:]):
        layers += [nn.Linear(a, b), activation()]
    return nn.Sequential(*layers[:-1])


def one_hot(labels: torch.Tensor | None, num_classes: int) -> torch.Tensor | None:
    return F.one_hot(labels, num_classes).float() if num_classes and labels is not None else None


class MLPGenerator(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        hidden = 4 * c.width
        self.net = mlp([c.z_dim + c.num_classes] + [hidden] * c.depth + [math.prod(c.data_shape)], nn.ReLU)
        self.shape, self.squash, self.scale = c.data_shape, c.is_image, c.data_scale

    def forward(self, z, y_onehot=None):
        h = self.net(z if y_onehot is None else torch.cat([z, y_onehot], 1))
        h = torch.tanh(h) if self.squash else h * self.scale  # images live in [-1, 1]; points anywhere
        return h.view(-1, *self.shape)


class MLPDiscriminator(nn.Module):
    def __init__(self, c: Config):
        super().__init__()
        hidden, self.pack, self.scale = 4 * c.width, c.pack, c.data_scale
        leaky = lambda: nn.LeakyReLU(0.2)  # noqa: E731
        self.body = nn.Sequential(*mlp([c.pack * math.prod(c.data_shape) + c.num_classes] + [hidden] * c.depth,
                                       leaky), leaky())
        self.real_fake = nn.Linear(hidden, 1)
        self.classify = nn.Linear(hidden, c.num_classes) if c.num_classes else None

    def forward(self, x, y_onehot=None):
        """One logit per sample, or per pack of `pack` consecutive samples: (B,) or (B / pack,)."""
        h = x.reshape(len(x) // self.pack, -1) / self.scale
        h = self.body(h if y_onehot is None else torch.cat([h, y_onehot], 1))
        return self.real_fake(h).squeeze(1), (self.classify(h) if self.classify else None)


def _conv_widths(c: Config) -> tuple[int, list[int], int]:
    widths, side = gan_variants.widths_and_side(c)  # one rule for every convolutional GAN's channel widths
    return len(widths) - 1, widths, side


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


def level_at(iteration: int, grow_steps: int, top: int) -> float:
    """The progressive schedule: grow_steps iterations at each resolution, then grow_steps fading in the next
    (level k + alpha), until the top resolution."""
    stage, within = divmod(iteration, 2 * grow_steps)
    if stage >= top:
        return float(top)
    return stage + max(0.0, (within - grow_steps) / grow_steps)


def split_level(level: float) -> tuple[int, float]:
    """(the highest resolution in use, the fade-in weight alpha of that resolution; 0 when none is fading)."""
    top = math.ceil(level)
    return top, level - math.floor(level)


class ProgressiveGenerator(nn.Module):
    """DCGAN-like blocks with an image head ("to pixels") at every resolution. At level k + alpha the output is
    (1 - alpha) upsample(head_k) + alpha head_{k+1} (Karras et al., 2018, fig. 2), upsampled to full size."""

    def __init__(self, c: Config):
        super().__init__()
        self.top, widths, side = _conv_widths(c)
        self.project = nn.Sequential(nn.Linear(c.z_dim, widths[0] * side * side),
                                     nn.Unflatten(1, (widths[0], side, side)), nn.BatchNorm2d(widths[0]), nn.ReLU())
        self.blocks = nn.ModuleList(nn.Sequential(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1),
                                                  nn.BatchNorm2d(b), nn.ReLU()) for a, b in zip(widths, widths[1:]))
        self.to_pixels = nn.ModuleList(nn.Sequential(nn.Conv2d(w, c.data_shape[0], 3, padding=1), nn.Tanh())
                                       for w in widths)
        self.register_buffer("level", torch.zeros(()))  # set by the Trainer; saved with the weights

    def forward(self, z, y_onehot=None, level: float | None = None):
        top, alpha = split_level(float(self.level) if level is None else level)
        features = [self.project(z)]
        for block in self.blocks[:top]:
            features.append(block(features[-1]))
        image = self.to_pixels[top](features[top])
        if alpha > 0:  # fading in resolution `top`: blend with the one below, upsampled
            coarse = F.interpolate(self.to_pixels[top - 1](features[top - 1]), scale_factor=2, mode="nearest")
            image = coarse + alpha * (image - coarse)
        return F.interpolate(image, scale_factor=2 ** (self.top - top), mode="nearest") if top < self.top else image


class ProgressiveDiscriminator(nn.Module):
    """The mirror image: an image entrance ("from pixels") at every resolution, stride-2 convolutions down. At level
    k + alpha the full-size input is average-pooled to resolution k+1 and, blended by alpha, to resolution k."""

    def __init__(self, c: Config):
        super().__init__()
        self.top, widths, side = _conv_widths(c)
        self.from_pixels = nn.ModuleList(nn.Sequential(nn.Conv2d(c.data_shape[0], w, 3, padding=1), nn.LeakyReLU(0.2))
                                         for w in widths)
        self.blocks = nn.ModuleList(nn.Sequential(nn.Conv2d(b, a, 4, stride=2, padding=1), nn.LeakyReLU(0.2))
                                    for a, b in zip(widths, widths[1:]))  # blocks[k]: resolution k+1 -> k
        self.real_fake = nn.Linear(widths[0] * side * side, 1)
        self.register_buffer("level", torch.zeros(()))

    def forward(self, x, y_onehot=None, level: float | None = None):
        top, alpha = split_level(float(self.level) if level is None else level)
        x = F.avg_pool2d(x, 2 ** (self.top - top)) if top < self.top else x
        h = self.from_pixels[top](x)
        if top > 0:
            h = self.blocks[top - 1](h)
            if alpha > 0:  # resolution `top` is fading in: blend with the input seen directly at the one below
                coarse = self.from_pixels[top - 1](F.avg_pool2d(x, 2))
                h = coarse + alpha * (h - coarse)
        for block in reversed(self.blocks[:max(top - 1, 0)]):
            h = block(h)
        return self.real_fake(h.flatten(1)).squeeze(1), None


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


NETWORKS = {"mlp": (MLPGenerator, MLPDiscriminator), "dcgan": (ConvGenerator, ConvDiscriminator),
            "progressive": (ProgressiveGenerator, ProgressiveDiscriminator),
            "biggan": (gan_variants.BigGANGenerator, gan_variants.ProjectionDiscriminator),
            "stylegan": (gan_variants.StyleGenerator, gan_variants.StyleDiscriminator)}


class GAN(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        make_generator, make_discriminator = NETWORKS[config.arch]
        self.generator, self.discriminator = make_generator(config), make_discriminator(config)

    @property
    def truncates_in_w(self) -> bool:
        """StyleGAN truncates in W, towards the mean w; the others scale z."""
        return self.config.arch == "stylegan"

    def generate(self, z: torch.Tensor, labels: torch.Tensor | None = None, *, truncation: float = 1.0,
                 noise_generator: torch.Generator | None = None) -> torch.Tensor:
        """G(z, y): (B, z_dim) -> samples (B, *data_shape). `truncation` applies in W for StyleGAN (z is scaled
        by draw_latents for the others); `noise_generator` draws StyleGAN's per-pixel noise (None: fixed noise)."""
        if self.truncates_in_w:
            return self.generator(z, truncation=truncation, noise_generator=noise_generator)
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
        defaults.update(arch="mlp", z_dim=8, width=32, batch_size=256, lr_g=1e-3, lr_d=1e-3,
                        data_scale=round(float(dataset.x_train.std()), 4))
    if conditional:
        defaults["num_classes"] = dataset.num_classes
    defaults.update(ARCH_DEFAULTS.get(overrides.get("arch", ""), {}))
    return Config(**{**defaults, **overrides})


# What each variant's paper trains with, at this scale: BigGAN/SAGAN the hinge loss, Adam with beta1 = 0 and D
# faster than G (the two time-scale rule); StyleGAN the non-saturating loss with R1, mixing regularisation and
# Adam with beta1 = 0.
ARCH_DEFAULTS = {
    "biggan": dict(loss="hinge", beta1=0.0, lr_g=1e-4, lr_d=4e-4, ortho_weight=1e-4),
    "stylegan": dict(loss="nonsaturating", beta1=0.0, lr_g=1e-3, lr_d=1e-3, r1_weight=0.5, mixing=0.9),
}


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
    pack = model.config.pack
    t = torch.rand((len(real) // pack, 1), generator=generator, device=generator.device).to(real.device)
    t = t.repeat_interleave(pack, 0).view((len(real),) + (1,) * (real.dim() - 1))  # one t per pack
    x_hat = (t * real + (1 - t) * fake).requires_grad_(True)
    logits, _ = model.discriminate(x_hat, labels)
    grad, = torch.autograd.grad(logits.sum(), x_hat, create_graph=True)
    return ((grad.reshape(len(logits), -1).norm(dim=1) - 1) ** 2).mean()  # one norm per logit (per pack)


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


def adam(parameters, lr: float, betas) -> torch.optim.Adam:
    """Adam, fused into one kernel where the device allows (CPU, CUDA): for the Playground's small MLPs the
    optimiser step is a third of the time, and the fused one is ~4x faster on the CPU."""
    parameters = list(parameters)
    fused = all(p.device.type in ("cpu", "cuda") for p in parameters)
    return torch.optim.Adam(parameters, lr=lr, betas=betas, fused=fused or None)


class Trainer:
    """One iteration = d_steps discriminator updates, then g_steps generator updates.

    The first discriminator update and the first generator update share one generated batch: D learns on it
    detached, then G is scored on the same batch by the updated D (the graph through G is kept), which saves a
    generator forward per iteration without changing the alternating game."""

    def __init__(self, model: GAN, config: Config):
        self.model, self.config = model, config
        betas = (0.0, 0.9) if config.loss == "wgan-gp" else (config.beta1, 0.999)
        self.opt_g = adam(model.generator.parameters(), config.lr_g, betas)
        self.opt_d = adam(model.discriminator.parameters(), config.lr_d, betas)
        self.iteration = 0

    def learning_rate_factor(self) -> float:
        """1 for the first anneal_steps / 2 iterations, then linearly down to 0 at anneal_steps (0 after)."""
        total = self.config.anneal_steps
        return 1.0 if not total else max(0.0, min(1.0, 2.0 * (1.0 - self.iteration / total)))

    def generate_batch(self, n: int, generator: torch.Generator):
        labels = draw_labels(self.model, n, generator)
        return self.model.generate(draw_latents(self.model, n, generator), labels, noise_generator=generator), labels

    def discriminator_step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator,
                           fake: torch.Tensor | None = None, fake_labels: torch.Tensor | None = None) -> dict:
        """One update of D on real x and a generated batch (a fresh one unless given), G frozen."""
        model, c = self.model, self.config
        real_labels = y if c.num_classes else None
        if fake is None:
            with torch.no_grad():
                fake, fake_labels = self.generate_batch(len(x), generator)
        fake = fake.detach()
        # Real and generated through D in one call: half the kernel launches, which is what small MLPs pay for.
        both_labels = None if real_labels is None else torch.cat([real_labels, fake_labels])
        if c.r1_weight:
            x = x.detach().requires_grad_(True)  # R1 needs D's gradient with respect to the real images
        logits, classes = model.discriminate(torch.cat([x, fake]), both_labels)
        real_logits, fake_logits = logits.chunk(2)
        loss_d = discriminator_loss(c.loss, real_logits, fake_logits)
        if c.loss == "wgan-gp":
            loss_d = loss_d + c.gp_weight * gradient_penalty(model, x, fake, real_labels, generator)
        if c.r1_weight:  # R1: gamma/2 E||grad_x l(x)||^2 on real data only (Mescheder et al., 2018, eq. 9)
            grad, = torch.autograd.grad(real_logits.sum(), x, create_graph=True)
            loss_d = loss_d + c.r1_weight / 2 * grad.square().flatten(1).sum(1).mean()
        if classes is not None:
            real_class, fake_class = classes.chunk(2)
            loss_d = loss_d + c.aux_weight * (F.cross_entropy(real_class, y) + F.cross_entropy(fake_class, fake_labels))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        with torch.no_grad():
            real_term, fake_term = value_terms(real_logits, fake_logits)
            d_real, d_fake = torch.sigmoid(logits).view(2, -1).mean(1)
            stats = torch.stack([loss_d, d_real, d_fake, real_term, fake_term]).tolist()  # one copy out, not five
        return dict(zip(("loss_d", "d_real", "d_fake", "log_d_real", "log_1m_d_fake"), stats))

    def generator_step(self, n: int, generator: torch.Generator, fake: torch.Tensor | None = None,
                       fake_labels: torch.Tensor | None = None) -> dict:
        """One update of G against the current D (only G's optimiser steps)."""
        model, c = self.model, self.config
        if fake is None:
            fake, fake_labels = self.generate_batch(n, generator)
        g_logits, g_class = model.discriminate(fake, fake_labels)
        loss_g = generator_loss(c.loss, g_logits)
        if g_class is not None:
            loss_g = loss_g + c.aux_weight * F.cross_entropy(g_class, fake_labels)
        if c.ortho_weight:
            loss_g = loss_g + c.ortho_weight * orthogonal_penalty(model.generator)
        # Gradients for G's weights only: backward() would also fill D's, which nobody uses here.
        parameters = [p for group in self.opt_g.param_groups for p in group["params"]]
        # (allow_unused: a progressive G's finer blocks take no part before they are grown; their grad stays None)
        for parameter, grad in zip(parameters, torch.autograd.grad(loss_g, parameters, allow_unused=True)):
            parameter.grad = grad
        self.opt_g.step()
        return {"loss_g": float(loss_g.detach())}

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        """One iteration. Returns both losses, D(x) and D(G(z)) as mean probabilities, and the two terms of
        V(D, G), from D's last update."""
        self.model.train()
        c = self.config
        generator = generator or torch.Generator(device=x.device)
        if c.arch == "progressive":  # both networks at the schedule's level for this iteration
            level = level_at(self.iteration, c.grow_steps, self.model.generator.top)
            self.model.generator.level.fill_(level)
            self.model.discriminator.level.fill_(level)
        factor = self.learning_rate_factor()
        for optimizer, lr in ((self.opt_d, c.lr_d), (self.opt_g, c.lr_g)):
            for group in optimizer.param_groups:
                group["lr"] = lr * factor
        fake, fake_labels = self.generate_batch(len(x), generator)
        for k in range(c.d_steps):
            d_metrics = self.discriminator_step(x, y, generator, *((fake, fake_labels) if k == 0 else ()))
        for k in range(c.g_steps):
            g_metrics = self.generator_step(len(x), generator, *((fake, fake_labels) if k == 0 else ()))
        self.iteration += 1
        return {"loss_d": d_metrics["loss_d"], **g_metrics, **d_metrics}  # the losses first, for progress bars


def orthogonal_penalty(network: nn.Module) -> torch.Tensor:
    """BigGAN's orthogonal regularisation, sum over weights W (rows = output units) of ||W W^T * (1 - I)||_F^2:
    it pushes the filters towards orthogonal directions without constraining their norms (Brock et al. 2019,
    eq. 3), which is what keeps G smooth enough for the truncation trick."""
    total = 0.0
    for name, weight in network.named_parameters():
        if weight.dim() < 2 or name.endswith("embed.weight"):
            continue
        rows = weight.flatten(1)
        # the Gram matrix of the filters, or of the inputs' weight vectors where those are fewer (G's first
        # layer has thousands of outputs from 32 inputs): the smaller matrix, the same push towards orthogonality
        gram = rows @ rows.T if len(rows) <= rows.shape[1] else rows.T @ rows
        total = total + (gram * (1 - torch.eye(len(gram), device=gram.device))).square().sum()
    return torch.as_tensor(total)


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
    if not model.config.is_image:
        from gen_core.mode_metrics import point_metrics
        out.update(point_metrics(sample(model, 2500, generator=generator).cpu(), dataset))
    if model.config.num_classes:
        accuracy = metrics.conditional_accuracy(lambda label, k: sample(model, k, generator=generator, label=label),
                                                dataset)
        if accuracy is not None:  # None: no reference classifier for this data
            out["label_accuracy"] = accuracy
    if has_truncation_curve(model) and metrics.reference_classifier(dataset) is not None:
        from gen_core.gan_lab import truncation_curve  # BigGAN's trade-off, kept with the model (a few seconds)
        rows = truncation_curve(model, dataset)
        out["truncation_curve"] = {key: [row[key] for row in rows] for key in rows[0]}
    if model.truncates_in_w:  # StyleGAN: does the class follow the coarse styles when two samples are mixed?
        from gen_core.gan_lab import MIXING_PAIRS, mixing_agreement
        agreement = mixing_agreement(model, dataset, MIXING_PAIRS, generator)
        if agreement is not None:
            out.update(mixing_follows_coarse=agreement.follows_coarse, mixing_follows_fine=agreement.follows_fine)
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
    x = model.generate(z, labels, truncation=truncation, noise_generator=generator)
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
