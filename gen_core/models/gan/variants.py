"""The networks of three GAN variants, each built to show the one idea it is known for (the game, the losses and the
training loop stay in gan.py, which picks these networks by `Config.arch`).

BigGAN and SAGAN (arch "biggan"; Brock et al., 2019; Zhang et al., 2019)
    G's batch norms are class-conditional: BN without its own affine terms, then a gain and a bias computed from
    c = [z, e(y)], where e is ONE class embedding shared by every layer and z is fed to every layer as well
    ("skip-z"):  h' = (1 + gamma(c)) * BN(h) + beta(c)                                   (BigGAN, section 3)
    D is a projection discriminator: l(x, y) = psi(phi(x)) + e_D(y) . phi(x)           (Miyato & Koyama, 2018)
    Both networks are spectrally normalised (W / sigma_max(W)) and trained with the hinge loss; BigGAN adds
    orthogonal regularisation of G (gan.orthogonal_penalty) and the truncation trick (gan.truncated_latents).
    With `attention`, both networks get a self-attention layer at half the image side (14x14 on 28x28 shapes):
        beta_{j,i} = softmax_i(f(x_i)^T g(x_j)),  o_j = v(sum_i beta_{j,i} h(x_i)),  y_j = x_j + gamma o_j
    with gamma starting at 0 (SAGAN, eq. 1-3), so every output pixel can draw on every other one.

StyleGAN (arch "stylegan"; Karras et al., 2019, 2020)
    A mapping network turns z into w (8 layers there, 4 here), and w enters the synthesis network once per layer
    as a style: adaptive instance normalisation sets each feature map's scale and offset from A(w) (StyleGAN, eq.
    1). The synthesis starts from a learned constant, adds scaled per-pixel noise after every convolution, and uses
    an equalised learning rate (weights stored N(0, 1), scaled by 1/sqrt(fan_in) at run time). Since every layer has its own style, two w's can be mixed: the coarse layers
    (the lowest resolution) from one and the fine layers from another. Truncation happens in W, towards the
    running mean of w:  w' = w_avg + psi (w - w_avg).
"""
from __future__ import annotations

import math

from gen_core.device import make_generator
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm


def widths_and_side(config) -> tuple[list[int], int]:
    """Channels at each resolution from coarse to full size (as the DCGAN's), and the coarsest side."""
    from gen_core.models.common import num_downsamples

    ups = num_downsamples(min(config.data_shape[1:]))
    return [config.width * 2 ** (ups - k) for k in range(ups + 1)], config.data_shape[1] // 2 ** ups


# --- BigGAN / SAGAN --------------------------------------------------------------------------------------------

class ConditionalBatchNorm(nn.Module):
    """BN whose gain and bias are linear functions of a conditioning vector (the same one for every layer)."""

    def __init__(self, channels: int, cond_dim: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = spectral_norm(nn.Linear(cond_dim, channels, bias=False))
        self.bias = spectral_norm(nn.Linear(cond_dim, channels, bias=False))

    def forward(self, h, cond):
        return (1 + self.gain(cond))[:, :, None, None] * self.norm(h) + self.bias(cond)[:, :, None, None]


class SelfAttention(nn.Module):
    """SAGAN's attention layer. After a forward with `keep_map = True`, `last_map` holds beta, (B, N, N): row j is
    where output pixel j looked, a distribution over the N = H x W input pixels."""

    def __init__(self, channels: int):
        super().__init__()
        inner = max(channels // 8, 1)
        self.f = spectral_norm(nn.Conv2d(channels, inner, 1, bias=False))   # keys
        self.g = spectral_norm(nn.Conv2d(channels, inner, 1, bias=False))   # queries
        self.h = spectral_norm(nn.Conv2d(channels, channels // 2, 1, bias=False))  # values
        self.v = spectral_norm(nn.Conv2d(channels // 2, channels, 1, bias=False))
        self.gamma = nn.Parameter(torch.zeros(()))  # starts as the identity: local features first (SAGAN, sec. 4)
        self.keep_map = False
        self.last_map: torch.Tensor | None = None

    def forward(self, x):
        b, c, height, width = x.shape
        keys, queries = self.f(x).flatten(2), self.g(x).flatten(2)          # (B, C', N)
        beta = torch.softmax(queries.transpose(1, 2) @ keys, dim=-1)         # (B, N_out, N_in), rows sum to 1
        values = self.h(x).flatten(2)                                         # (B, C/2, N)
        out = self.v((values @ beta.transpose(1, 2)).view(b, -1, height, width))
        if self.keep_map:
            self.last_map = beta.detach()
        return x + self.gamma * out


def attention_stage(sides: list[int], config) -> int:
    """Which of a network's stages (their output sides, in order) the attention layer follows: the one nearest half
    the image side (14 on 28x28; on 8x8 the generator's only stage is 8x8 and the discriminator's 4x4)."""
    half = config.data_shape[1] // 2
    return min(range(len(sides)), key=lambda k: (abs(sides[k] - half), k))


class BigGANGenerator(nn.Module):
    def __init__(self, config):
        super().__init__()
        widths, side = widths_and_side(config)
        self.embed = nn.Linear(config.num_classes, config.embed_dim, bias=False) if config.num_classes else None
        cond_dim = config.z_dim + (config.embed_dim if config.num_classes else 0)
        self.project = spectral_norm(nn.Linear(config.z_dim, widths[0] * side * side))
        self.start = (widths[0], side, side)
        self.norms = nn.ModuleList(ConditionalBatchNorm(a, cond_dim) for a in widths[:-1])
        self.convs = nn.ModuleList(spectral_norm(nn.Conv2d(a, b, 3, padding=1)) for a, b in zip(widths, widths[1:]))
        sides = [side * 2 ** (k + 1) for k in range(len(self.convs))]
        self.attention_after = attention_stage(sides, config) if config.attention else None
        self.attention = SelfAttention(widths[self.attention_after + 1]) if config.attention else None
        self.out = nn.Sequential(nn.BatchNorm2d(widths[-1]), nn.ReLU(),
                                 spectral_norm(nn.Conv2d(widths[-1], config.data_shape[0], 3, padding=1)), nn.Tanh())

    def forward(self, z, y_onehot=None):
        # the class enters through the shared embedding; a one-hot (or a blend of two) times its matrix is a lookup
        cond = z if self.embed is None or y_onehot is None else torch.cat([z, self.embed(y_onehot)], 1)
        h = self.project(z).view(-1, *self.start)
        for k, (norm, conv) in enumerate(zip(self.norms, self.convs)):
            h = conv(F.interpolate(F.relu(norm(h, cond)), scale_factor=2, mode="nearest"))
            if k == self.attention_after:
                h = self.attention(h)
        return self.out(h)


class ProjectionDiscriminator(nn.Module):
    def __init__(self, config):
        super().__init__()
        widths, side = widths_and_side(config)
        widths = widths[::-1]
        self.enter = spectral_norm(nn.Conv2d(config.data_shape[0], widths[0], 3, padding=1))
        self.downs = nn.ModuleList(spectral_norm(nn.Conv2d(a, b, 4, stride=2, padding=1))
                                   for a, b in zip(widths, widths[1:]))
        sides = [config.data_shape[1] // 2 ** (k + 1) for k in range(len(self.downs))]
        self.attention_after = attention_stage(sides, config) if config.attention else None
        self.attention = SelfAttention(widths[self.attention_after + 1]) if config.attention else None
        self.real_fake = spectral_norm(nn.Linear(widths[-1], 1))
        self.embed = spectral_norm(nn.Linear(config.num_classes, widths[-1], bias=False)) if config.num_classes \
            else None

    def forward(self, x, y_onehot=None):
        h = F.leaky_relu(self.enter(x), 0.2)
        for k, down in enumerate(self.downs):
            h = F.leaky_relu(down(h), 0.2)
            if k == self.attention_after:
                h = self.attention(h)
        features = h.sum((2, 3))  # sum pooling, as SAGAN's and BigGAN's D
        logit = self.real_fake(features).squeeze(1)
        if self.embed is not None and y_onehot is not None:  # the projection term e_D(y) . phi(x)
            logit = logit + (self.embed(y_onehot) * features).sum(1)
        return logit, None


# --- StyleGAN --------------------------------------------------------------------------------------------------

class EqualLinear(nn.Module):
    """A linear layer with an equalised learning rate: weights drawn N(0, 1) / lr_mul and multiplied by
    lr_mul / sqrt(fan_in) at run time, so Adam's step moves every layer at the same relative speed (ProGAN, 4.1)."""

    def __init__(self, n_in: int, n_out: int, bias_init: float = 0.0, lr_mul: float = 1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in) / lr_mul)
        self.bias = nn.Parameter(torch.full((n_out,), float(bias_init)))
        self.scale, self.lr_mul = lr_mul / math.sqrt(n_in), lr_mul

    def forward(self, x):
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class EqualConv2d(nn.Module):
    """A convolution with an equalised learning rate (as EqualLinear)."""

    def __init__(self, n_in: int, n_out: int, kernel: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_out, n_in, kernel, kernel))
        self.scale, self.padding = 1 / math.sqrt(n_in * kernel * kernel), kernel // 2

    def forward(self, x):
        return F.conv2d(x, self.weight * self.scale, padding=self.padding)


def adaptive_instance_norm(h: torch.Tensor, scale: torch.Tensor, shift: torch.Tensor) -> torch.Tensor:
    """AdaIN(h, y) = y_s * (h - mean(h)) / std(h) + y_b, per sample and channel (StyleGAN, eq. 1): the style sets
    each feature map's scale and offset and nothing else; where the features lie is left to the layers below."""
    return scale[:, :, None, None] * F.instance_norm(h, eps=1e-5) + shift[:, :, None, None]


class StyleLayer(nn.Module):
    """(Upsample,) 3x3 convolution, per-pixel noise times a learned strength per channel, bias, leaky ReLU, then
    AdaIN with the style A(w) = (y_s, y_b) (StyleGAN, fig. 1b)."""

    def __init__(self, n_in: int, n_out: int, w_dim: int, upsample: bool = False):
        super().__init__()
        self.conv = EqualConv2d(n_in, n_out, 3)
        self.noise_strength = nn.Parameter(torch.zeros(n_out))
        self.bias = nn.Parameter(torch.zeros(n_out))
        self.style = EqualLinear(w_dim, 2 * n_out)
        with torch.no_grad():
            self.style.bias[:n_out] = 1.0  # y_s starts at 1, y_b at 0
        self.upsample = upsample

    def forward(self, x, w, noise):
        if self.upsample:
            x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        h = self.conv(x) + self.noise_strength[:, None, None] * noise + self.bias[:, None, None]
        scale, shift = self.style(w).chunk(2, 1)
        return adaptive_instance_norm(F.leaky_relu(h, 0.2), scale, shift)


class StyleGenerator(nn.Module):
    """Mapping network z -> w, then a learned constant at the coarsest side and two style layers per resolution
    (the first of each finer one upsamples), then a 1x1 convolution to pixels: one style per layer, 2 per
    resolution. The coarse styles are the two of the coarsest resolution."""

    def __init__(self, config):
        super().__init__()
        widths, side = widths_and_side(config)
        self.z_dim = config.z_dim
        mapping = []
        for _ in range(config.mapping_layers):
            mapping += [EqualLinear(config.z_dim, config.z_dim, lr_mul=0.01), nn.LeakyReLU(0.2)]
        self.mapping = nn.Sequential(*mapping)
        self.constant = nn.Parameter(torch.randn(1, widths[0], side, side))
        layers, self.sides = [], []
        for k, channels in enumerate(widths):
            previous = widths[max(k - 1, 0)]
            layers += [StyleLayer(previous, channels, config.z_dim, upsample=k > 0),
                       StyleLayer(channels, channels, config.z_dim)]
            self.sides += [side * 2 ** k] * 2
        self.layers = nn.ModuleList(layers)
        self.to_pixels = EqualConv2d(widths[-1], config.data_shape[0], 1)
        self.num_styles = len(layers)
        self.coarse_styles = 2  # the two layers at the coarsest resolution
        self.mixing = config.mixing
        self.register_buffer("w_avg", torch.zeros(config.z_dim))  # the running mean of w: truncation's centre

    def map(self, z: torch.Tensor) -> torch.Tensor:
        """w = f(z), with z normalised to the sphere of radius sqrt(dim) first (pixel norm)."""
        z = z * torch.rsqrt(z.square().mean(1, keepdim=True) + 1e-8)
        return self.mapping(z)

    def truncate(self, w: torch.Tensor, psi: float) -> torch.Tensor:
        return self.w_avg + psi * (w - self.w_avg) if psi != 1 else w

    def draw_noises(self, n: int, generator: torch.Generator | None) -> list[torch.Tensor]:
        """One (n, 1, side, side) map of N(0, 1) per layer. With no generator, fixed noise (seed 0): the same for
        every call, so a path through z or a mixing grid changes only what the styles change."""
        generator = generator or make_generator(0, self.constant.device)
        return [torch.randn(n, 1, s, s, generator=generator, device=generator.device).to(self.constant.device)
                for s in self.sides]

    def synthesise(self, styles: torch.Tensor, noises: list[torch.Tensor]) -> torch.Tensor:
        """styles (B, num_styles, w_dim): one w per layer; noises: one map per layer (see draw_noises)."""
        h = self.constant.expand(len(styles), -1, -1, -1)
        for k, (layer, noise) in enumerate(zip(self.layers, noises)):
            h = layer(h, styles[:, k], noise)
        return torch.tanh(self.to_pixels(h))

    def forward(self, z, y_onehot=None, *, truncation: float = 1.0, noise_generator=None):
        w = self.map(z)
        if self.training:
            with torch.no_grad():
                self.w_avg.lerp_(w.detach().mean(0), 0.005)
        styles = self.truncate(w, truncation)[:, None].repeat(1, self.num_styles, 1)
        if self.training and self.mixing > 0 and noise_generator is not None:
            styles = self.mix_for_training(styles, noise_generator)
        return self.synthesise(styles, self.draw_noises(len(z), noise_generator))

    def mix_for_training(self, styles: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Mixing regularisation (StyleGAN, 3.1): for a share `mixing` of the batch, the layers from a random
        crossover point on take the styles of a second z, so neighbouring styles cannot rely on each other."""
        n, device = len(styles), styles.device
        other = self.map(torch.randn(n, self.z_dim, generator=generator, device=generator.device).to(device))
        cut = torch.randint(1, self.num_styles, (n, 1), generator=generator, device=generator.device).to(device)
        mixed = torch.rand(n, 1, generator=generator, device=generator.device).to(device) < self.mixing
        later = (torch.arange(self.num_styles, device=device)[None] >= cut) & mixed     # (B, num_styles)
        return torch.where(later[:, :, None], other[:, None], styles)


class StyleDiscriminator(nn.Module):
    """Convolutions down to the coarsest side with leaky ReLUs, then the minibatch standard deviation as one extra
    feature map (ProGAN, 3): a batch of near-copies stands out, which keeps G's samples varied."""

    def __init__(self, config):
        super().__init__()
        widths, side = widths_and_side(config)
        widths = widths[::-1]
        layers = [nn.Conv2d(config.data_shape[0], widths[0], 3, padding=1), nn.LeakyReLU(0.2)]
        for a, b in zip(widths, widths[1:]):
            layers += [nn.Conv2d(a, b, 3, padding=1), nn.LeakyReLU(0.2), nn.Conv2d(b, b, 4, stride=2, padding=1),
                       nn.LeakyReLU(0.2)]
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Conv2d(widths[-1] + 1, widths[-1], 3, padding=1), nn.LeakyReLU(0.2),
                                  nn.Flatten(), nn.Linear(widths[-1] * side * side, widths[-1]), nn.LeakyReLU(0.2),
                                  nn.Linear(widths[-1], 1))

    def forward(self, x, y_onehot=None):
        h = self.body(x)
        group = min(4, len(h))
        while len(h) % group:
            group -= 1
        # groups of consecutive samples: a batch of reals followed by fakes (as the Trainer sends) never mixes them
        # (sqrt of var + eps: the gradient of a plain std is NaN where a group's features are all equal)
        spread = (h.view(-1, group, *h.shape[1:]).var(1, unbiased=False) + 1e-8).sqrt().mean((1, 2, 3))  # (B/group,)
        spread = spread.repeat_interleave(group)[:, None, None, None].expand(-1, 1, *h.shape[2:])
        return self.head(torch.cat([h, spread], 1)).squeeze(1), None
