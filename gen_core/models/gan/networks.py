"""G and D for each architecture (MLP, DCGAN, progressive; BigGAN and StyleGAN in variants.py), and `GAN`, the
pair a checkpoint holds."""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.gan import variants
from gen_core.models.gan.config import Config


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
    widths, side = variants.widths_and_side(c)  # one rule for every convolutional GAN's channel widths
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
            "biggan": (variants.BigGANGenerator, variants.ProjectionDiscriminator),
            "stylegan": (variants.StyleGenerator, variants.StyleDiscriminator)}


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
