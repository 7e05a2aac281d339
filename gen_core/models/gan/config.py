"""The GAN family's validated hyper-parameters, shared by every architecture and objective, and what each
variant's paper trains with."""
from __future__ import annotations

from dataclasses import dataclass

from gen_core.models.common import check_fields, check_ranges

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
        check_ranges(self, z_dim=">= 1", width=">= 1", depth=">= 1", pack=">= 1", d_steps=">= 1", g_steps=">= 1",
                     batch_size=">= 1", num_classes=">= 0", anneal_steps=">= 0", beta1="in [0, 1)", aux_weight=">= 0",
                     gp_weight=">= 0", data_scale="> 0")
        if self.arch in ("biggan", "stylegan") and (self.pack > 1 or self.d_steps < 1):
            raise ValueError(f"the {self.arch} networks judge one sample at a time (pack = 1)")
        if self.arch == "stylegan" and self.num_classes:
            raise ValueError("the StyleGAN here is unconditional")
        if self.attention and (self.arch != "biggan" or min(self.data_shape[1:]) < 8):
            raise ValueError("attention is a layer of the biggan networks, on images of side 8 or more")
        check_ranges(self, ortho_weight=">= 0", r1_weight=">= 0", mixing="in [0, 1]", embed_dim=">= 1",
                     mapping_layers=">= 1")
        if self.pack > 1 and (self.arch != "mlp" or self.num_classes or self.batch_size % self.pack):
            raise ValueError("packing needs the unconditional mlp and a batch_size divisible by pack")

    @property
    def is_image(self) -> bool:
        return len(self.data_shape) == 3


# What each variant's paper trains with, at this scale: BigGAN/SAGAN the hinge loss, Adam with beta1 = 0 and D
# faster than G (the two time-scale rule); StyleGAN the non-saturating loss with R1, mixing regularisation and
# Adam with beta1 = 0.
ARCH_DEFAULTS = {
    "biggan": dict(loss="hinge", beta1=0.0, lr_g=1e-4, lr_d=4e-4, ortho_weight=1e-4),
    "stylegan": dict(loss="nonsaturating", beta1=0.0, lr_g=1e-3, lr_d=1e-3, r1_weight=0.5, mixing=0.9),
}
