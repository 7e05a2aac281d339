"""Order-agnostic autoregressive diffusion (OA-ARDM; Hoogeboom, Gritsenko, Bastings, Poole, van den Berg &
Salimans, "Autoregressive Diffusion Models", ICLR 2022) on binary images.

An autoregressive model that may generate the pixels in *any* order. For an order sigma (a permutation of the D
pixels) the model is autoregressive,

    log p(x | sigma) = sum_t log p(x_sigma(t) | x_sigma(<t)),

and the order-agnostic model averages over uniformly random orders, so by Jensen

    log p(x) >= E_sigma sum_t log p(x_sigma(t) | x_sigma(<t))                     (ibid., eq. 3)

It is "diffusion" because the reverse of this process is absorbing diffusion: the forward process masks one more
pixel each step until none is left, the generative process unmasks them one at a time. One network sees the
known pixels (the unknown ones set to 0, with the mask as a second channel) and predicts every unknown pixel at
once; no masked convolutions, no fixed raster order as in PixelCNN. Training draws one step t ~ U{1..D} and one
order per image and scores all D - t + 1 unknown pixels together; since under a random order they are exchangeable,

    L = D / (D - t + 1) * sum_{k in sigma(>=t)} -log p(x_k | x_sigma(<t))         (ibid., eq. 5, Algorithm 1)

is an unbiased estimate of the bound's -E_sigma sum_t, in nats per image. `log_prob_bound` evaluates the sum
exactly for one random order per image (D network calls), an unbiased estimate of the bound with far less
variance. Sampling (ibid., Algorithm 2) draws an order and fills one pixel per network call; because the network
predicts every unknown pixel at once, `pixels_per_step` > 1 fills several per call (parallel generation, fewer
calls, a looser fit: ibid., section 3.2). Any pixels may be given in advance (`known`): inpainting of any shape.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.common import TrainerBase, check_fields, check_ranges, likelihood_metrics

DATA_KINDS = ("image",)
ORDERS = ("random", "raster")
MAX_EVALUATED = 2000  # test images scored for the card (D network calls each batch; 28x28 images: 784)


@dataclass(frozen=True)
class Config:
    image_shape: tuple[int, ...] = (1, 8, 8)
    channels: int = 64          # features of every residual block
    num_layers: int = 6         # residual blocks of 3x3 convolutions (with a global context in each)
    lr: float = 1e-3
    batch_size: int = 64

    def __post_init__(self):
        check_fields(self)
        if len(self.image_shape) != 3 or self.image_shape[0] != 1 or min(self.image_shape) < 1:
            raise ValueError(f"this ARDM models one-channel images; got image_shape {self.image_shape}")
        check_ranges(self, channels="8..1024", num_layers="1..64", batch_size=">= 1")


class Block(nn.Module):
    """GroupNorm, SiLU, 3x3 convolution, plus the image's mean features through a linear map (a global context:
    whether a stroke exists far away matters as much as the neighbours), with a residual."""

    def __init__(self, channels: int):
        super().__init__()
        self.norm = nn.GroupNorm(8, channels)
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.context = nn.Linear(channels, channels)

    def forward(self, h):
        a = F.silu(self.norm(h))
        return h + self.conv(a) + self.context(a.mean((2, 3)))[:, :, None, None]


class ARDM(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        c = config.channels
        self.stem = nn.Conv2d(2, c, 3, padding=1)
        self.blocks = nn.ModuleList(Block(c) for _ in range(config.num_layers))
        self.head = nn.Sequential(nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, 1, 1))

    @property
    def dims(self) -> int:
        _, height, width = self.config.image_shape
        return height * width

    def logits(self, bits: torch.Tensor, known: torch.Tensor) -> torch.Tensor:
        """(B, 1, H, W) bits in {0, 1} and the known mask (same shape, bool) -> each pixel's logit of ink given the
        known pixels (the unknown ones enter as 0, between the two levels -1 and 1)."""
        known = known.to(bits.dtype)
        h = self.stem(torch.cat([(bits * 2 - 1) * known, known], 1))
        for block in self.blocks:
            h = block(h)
        return self.head(h)

    def log_prob_bound(self, x: torch.Tensor, generator: torch.Generator, order: str = "random") -> torch.Tensor:
        """log p(x | sigma) for one uniformly random order per image: (B,) nats, whose mean over images is an unbiased
        estimate of the bound E_sigma log p(x | sigma) <= log p(x). D network calls. `order="raster"` scores every
        image in PixelCNN's order instead (one term of that expectation, not the bound)."""
        bits = to_bits(x)
        ranks = random_ranks(len(x), self.dims, generator) if order == "random" else raster_ranks(len(x), self.dims)
        ranks = ranks.to(x.device).view_as(bits)
        total = torch.zeros(len(x), device=x.device)
        for t in range(self.dims):
            logits = self.logits(bits, ranks < t)
            now = ranks == t  # one pixel per image: the t-th of its order
            nll = F.binary_cross_entropy_with_logits(logits, bits, reduction="none")
            total = total - (nll * now).flatten(1).sum(1)
        return total


def to_bits(x: torch.Tensor) -> torch.Tensor:
    """Images in [-1, 1] to {0, 1} (ink above mid-grey), float."""
    return (x > 0).to(torch.float32)


def random_ranks(n: int, dims: int, generator: torch.Generator) -> torch.Tensor:
    """(n, dims) long: each row a uniformly random permutation given as ranks (pixel i is drawn at step rank[i])."""
    noise = torch.rand(n, dims, generator=generator, device=generator.device)
    return noise.argsort(1).argsort(1).cpu()


def raster_ranks(n: int, dims: int) -> torch.Tensor:
    return torch.arange(dims).expand(n, dims).clone()


def build(config: Config) -> ARDM:
    return ARDM(config)


def config_for(dataset, **overrides) -> Config:
    return Config(**{"image_shape": tuple(dataset.shape), **overrides})


def training_loss(model: ARDM, x: torch.Tensor, generator: torch.Generator) -> dict:
    """Hoogeboom et al.'s estimate, per image: one step t ~ U{1..D} and one order; the t - 1 first pixels of the
    order are known and the others scored, weighted D / (D - t + 1)."""
    bits, dims = to_bits(x), model.dims
    t = torch.randint(1, dims + 1, (len(x),), generator=generator, device=generator.device).to(x.device)
    ranks = random_ranks(len(x), dims, generator).to(x.device).view_as(bits)
    known = ranks < (t - 1).view(-1, 1, 1, 1)
    nll = F.binary_cross_entropy_with_logits(model.logits(bits, known), bits, reduction="none")
    scored = (nll * ~known).flatten(1).sum(1)
    estimate = dims / (dims - t + 1).to(x.dtype) * scored
    return {"loss": estimate.mean(), "known_fraction": known.float().mean()}


class Trainer(TrainerBase):
    """Adam on the mean of the per-image estimate (nats per image)."""

    def __init__(self, model: ARDM, config: Config):
        self.model = model
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        self.model.train()
        generator = generator or torch.Generator(device=x.device)
        out = self.losses(lambda: training_loss(self.model, x, generator))
        self.optimizer.zero_grad(set_to_none=True)
        out["loss"].backward()
        nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
        self.optimizer.step()
        return {"nll_estimate": float(out["loss"].detach())}


@torch.no_grad()
def generate(model: ARDM, n: int, generator: torch.Generator, *, order: str = "random",
             known: torch.Tensor | None = None, mask: torch.Tensor | None = None, pixels_per_step: int = 1,
             on_step=None) -> torch.Tensor:
    """n images, their pixels filled in a random order (or raster order), `pixels_per_step` per network call.
    Where `mask` (H, W) is True the pixel is copied from `known` (images in [-1, 1]) and counts as drawn first.
    `on_step(positions, p_ink, bits, drawn)` is called after each network call: positions (n, k) flat indices,
    p_ink (n, k) the probabilities they were drawn with. Returns [-1, 1] images."""
    if order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(ORDERS)}, got {order!r}")
    if pixels_per_step < 1:
        raise ValueError(f"pixels_per_step must be at least 1, got {pixels_per_step}")
    _, height, width = model.config.image_shape
    dims, device = height * width, next(model.parameters()).device
    ranks = random_ranks(n, dims, generator) if order == "random" else raster_ranks(n, dims)
    drawn = torch.zeros(n, dims, dtype=torch.bool)
    bits = torch.zeros(n, dims)
    if mask is not None:
        given = mask.reshape(-1).cpu()
        drawn[:, given] = True
        bits = torch.where(given, to_bits(known.reshape(n, dims).cpu()), bits)
        ranks = torch.where(given, -1, ranks).argsort(1).argsort(1)  # the given pixels first, then the order
    queue = ranks.argsort(1)[:, int(drawn[0].sum()):]  # (n, undrawn) flat indices in drawing order
    for start in range(0, queue.shape[1], pixels_per_step):
        positions = queue[:, start:start + pixels_per_step]
        logits = model.logits(bits.view(n, 1, height, width).to(device), drawn.view(n, 1, height, width).to(device))
        p = torch.sigmoid(logits.view(n, dims).gather(1, positions.to(device))).cpu()
        draw = torch.rand(p.shape, generator=generator, device=generator.device).cpu()
        bits.scatter_(1, positions, (draw < p).float())
        drawn.scatter_(1, positions, True)
        if on_step is not None:
            on_step(positions, p, bits.view(n, height, width), drawn.view(n, height, width))
    return (bits.view(n, 1, height, width) * 2 - 1).to(device)


def sample(model: ARDM, n: int, *, generator: torch.Generator, label: int | None = None) -> torch.Tensor:
    if label is not None:
        raise ValueError("this ARDM is unconditional: it cannot sample a chosen class")
    return generate(model, n, generator)


@torch.no_grad()
def evaluate(model: ARDM, dataset, generator: torch.Generator) -> dict:
    """The bound -E_sigma log p(x | sigma) on (up to MAX_EVALUATED) test images, one random order each, in nats per
    image and bits per dimension."""
    model.eval()
    device = next(model.parameters()).device
    x = dataset.x_test[:MAX_EVALUATED]
    total = 0.0
    for start in range(0, len(x), 256):
        total += float(-model.log_prob_bound(x[start:start + 256].to(device), generator).sum())
    return likelihood_metrics(total / max(len(x), 1), dataset.shape)
