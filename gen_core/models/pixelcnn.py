"""PixelCNN: an autoregressive model of binary images (van den Oord, Kalchbrenner & Kavukcuoglu, 2016).

An image's probability is the product of every pixel's probability given the pixels before it in raster order
(left to right, top to bottom; ibid., eq. 1):

    p(x) = prod_i p(x_i | x_1, ..., x_{i-1}),

so its log-likelihood is exact: the sum of one Bernoulli log-probability per pixel, read from one forward pass.
Here every pixel is binary (ink where the grey level is above the middle; train on `digits-binary` or
`shapes-binary`, or any image set, which is binarised the same way), so p(x_i | ...) = Bernoulli(sigmoid(logit_i))
and -log p(x) is the summed binary cross-entropy, in nats per image.

The ordering is enforced by masked convolutions. The first layer is type A: its kernel sees only the pixels above
and to the left of the centre, never the centre itself (the pixel being predicted). The later layers are type B:
they may also see the centre, which there holds features already computed from the past only. Between them
sit gated blocks (van den Oord et al., "Conditional Image Generation with PixelCNN Decoders", 2016, eq. 2):

    y = tanh(W_f * x) . sigmoid(W_g * x),

with a residual connection. A plain stack of masked 3x3 convolutions has a blind spot: pixels above and to the
right of the current one that no path of masked kernels reaches (ibid., Fig. 1). `receptive_field` finds it by
gradients, and the Likelihood Lab draws it.

Sampling is sequential: H x W forward passes, one pixel each.
"""
from __future__ import annotations

from dataclasses import dataclass

from gen_core.device import make_generator
import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.common import (MaximumLikelihoodTrainer, check_fields, check_ranges,
                                    likelihood_metrics)

DATA_KINDS = ("image",)


@dataclass(frozen=True)
class Config:
    image_shape: tuple[int, ...] = (1, 8, 8)
    channels: int = 64          # features per gated block
    num_layers: int = 5         # gated blocks of masked 3x3 type-B convolutions after the first layer
    first_kernel: int = 7       # the type-A layer's kernel side (odd)
    lr: float = 1e-3
    batch_size: int = 64

    def __post_init__(self):
        check_fields(self)
        if len(self.image_shape) != 3 or self.image_shape[0] != 1 or min(self.image_shape) < 1:
            raise ValueError(f"this PixelCNN models one-channel images; got image_shape {self.image_shape}")
        check_ranges(self, channels="1..1024", num_layers="0..64", batch_size=">= 1")
        if self.first_kernel < 3 or self.first_kernel % 2 == 0 or self.first_kernel > 15:
            raise ValueError(f"first_kernel must be odd, 3..15, got {self.first_kernel}")


class MaskedConv2d(nn.Conv2d):
    """A convolution whose kernel is zero at and after the centre in raster order (type A) or after it (type B)."""

    def __init__(self, kind: str, in_channels: int, out_channels: int, kernel: int):
        super().__init__(in_channels, out_channels, kernel, padding=kernel // 2)
        mask = torch.ones(kernel, kernel)
        centre = kernel // 2
        mask[centre, centre + (kind == "B"):] = 0   # the centre row: from the centre (A) or after it (B)
        mask[centre + 1:] = 0                       # every row below
        self.register_buffer("mask", mask[None, None].expand_as(self.weight).clone(), persistent=False)

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class GatedBlock(nn.Module):
    """tanh(W_f * x) . sigmoid(W_g * x), a 1x1 mix and a residual (type-B masks keep the ordering)."""

    def __init__(self, channels: int):
        super().__init__()
        self.conv = MaskedConv2d("B", channels, 2 * channels, 3)
        self.mix = nn.Conv2d(channels, channels, 1)

    def forward(self, h):
        f, g = self.conv(h).chunk(2, dim=1)
        return h + self.mix(torch.tanh(f) * torch.sigmoid(g))


class PixelCNN(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        c = config.channels
        kernel = min(config.first_kernel, 2 * max(config.image_shape[1:]) - 1)
        kernel += 1 - kernel % 2
        self.first = MaskedConv2d("A", 1, c, kernel)
        self.blocks = nn.ModuleList(GatedBlock(c) for _ in range(config.num_layers))
        self.head = nn.Sequential(nn.ReLU(), nn.Conv2d(c, c, 1), nn.ReLU(), nn.Conv2d(c, 1, 1))

    def logits(self, bits: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) bits in {0, 1} -> the logit of each pixel being ink given the pixels before it."""
        h = self.first(bits * 2 - 1)  # centred input: an all-zero past is not 'no information' about sign
        for block in self.blocks:
            h = block(h)
        return self.head(h)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Exact log p(x) in nats per image (B,), for images in [-1, 1] (binarised at 0)."""
        bits = to_bits(x)
        return -F.binary_cross_entropy_with_logits(self.logits(bits), bits, reduction="none").flatten(1).sum(1)


def to_bits(x: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] to {0, 1} (ink above mid-grey), float."""
    return (x > 0).to(torch.float32)


def build(config: Config) -> PixelCNN:
    return PixelCNN(config)


def config_for(dataset, **overrides) -> Config:
    return Config(**{"image_shape": tuple(dataset.shape), **overrides})


class Trainer(MaximumLikelihoodTrainer):
    """One maximum-likelihood step: minimise the mean -log p(x) (nats per image)."""


@torch.no_grad()
def generate(model: PixelCNN, n: int, generator: torch.Generator, known: torch.Tensor | None = None,
             mask: torch.Tensor | None = None, on_pixel=None) -> torch.Tensor:
    """Sample n images pixel by pixel in raster order. Where `mask` (H, W) is True the pixel is copied from `known`
    (images in [-1, 1]) instead of drawn: with the top half known this completes the bottom half.
    `on_pixel(row, col, p_ink, bits)` is called after each drawn pixel (for animations). Returns [-1, 1] images."""
    _, height, width = model.config.image_shape
    device = next(model.parameters()).device
    bits = torch.zeros(n, 1, height, width, device=device)
    if known is not None:
        bits = to_bits(known.to(device)).clone()
    for row in range(height):
        for col in range(width):
            if mask is not None and bool(mask[row, col]):
                continue
            p = torch.sigmoid(model.logits(bits)[:, 0, row, col])
            draw = torch.rand(n, generator=generator, device=generator.device).to(device)
            bits[:, 0, row, col] = (draw < p).float()
            if on_pixel is not None:
                on_pixel(row, col, p, bits)
    return bits * 2 - 1


def sample(model: PixelCNN, n: int, *, generator: torch.Generator, label: int | None = None) -> torch.Tensor:
    if label is not None:
        raise ValueError("this PixelCNN is unconditional: it cannot sample a chosen class")
    return generate(model, n, generator)


def receptive_field(model: PixelCNN, row: int, col: int) -> torch.Tensor:
    """(H, W) bool: the input pixels the logit of pixel (row, col) depends on, found by gradients (a pixel whose
    gradient is zero for a random input is outside the field). Never the pixel itself or any after it; for a plain
    masked stack, not the blind spot above and to the right either."""
    _, height, width = model.config.image_shape
    device = next(model.parameters()).device
    with torch.inference_mode(False), torch.enable_grad():
        bits = torch.rand(1, 1, height, width, generator=make_generator(0)).to(device)
        bits.requires_grad_(True)
        h = model.first(bits * 2 - 1)
        for block in model.blocks:
            h = block(h)
        logit = model.head(h)[0, 0, row, col]
        grad, = torch.autograd.grad(logit, bits)
    return grad[0, 0].abs().cpu() > 0


@torch.no_grad()
def evaluate(model: PixelCNN, dataset, generator: torch.Generator) -> dict:
    """Exact test negative log-likelihood in nats per image and bits per dimension."""
    model.eval()
    device = next(model.parameters()).device
    total = 0.0
    for start in range(0, len(dataset.x_test), 256):
        total += float(-model.log_prob(dataset.x_test[start:start + 256].to(device)).sum())
    return likelihood_metrics(total / len(dataset.x_test), dataset.shape)
