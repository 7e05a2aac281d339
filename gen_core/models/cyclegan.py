"""CycleGAN at small scale (Zhu et al., 2017): translate between two image domains without a single pair.

Domain A is the dataset's images; domain B is images of the same kind under a fixed transformation T (inverted,
rotated by 90 degrees, or transposed). Each training batch is split in halves: A takes one half and B = T(the other
half), so the pair (a, T(a)) is never shown. Two translators, G: A -> B and F: B -> A, play least-squares GAN games
(Mao et al., 2017, as CycleGAN does) against one discriminator per domain, D_B and D_A, and are tied together by
the cycle-consistency loss (Zhu et al., 2017, eq. 2-3):

    L_cyc = E_a |F(G(a)) - a|_1 + E_b |G(F(b)) - b|_1,        L_G = L_LSGAN(G, D_B) + L_LSGAN(F, D_A) + lambda L_cyc

Many mappings satisfy both losses: any bijection from A onto B, a 3 turned into an inverted 5 say, fools D_B and
comes back under F. Which one training finds depends on the networks: convolutions, whose filters look at small
neighbourhoods, find the pixel-wise T; a fully connected network, to which every pixel is like any other, often
learns T combined with a swap of digits. Because T is known here, the app can say what the unpaired training
found: how far G(a) lies from T(a), and whether the reference classifier still reads a's digit in T^-1(G(a)).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from gen_core.models.common import TrainerBase, check_fields, check_ranges

DATA_KINDS = ("image",)
ARCHS = ("conv", "mlp")
TRANSFORMS = {"invert": "inverted (x -> -x)", "rot90": "rotated a quarter turn", "transpose": "transposed"}


def transform(name: str, x: torch.Tensor) -> torch.Tensor:
    """T: domain A -> domain B, on images (..., H, W)."""
    if name == "invert":
        return -x
    if name == "rot90":
        return torch.rot90(x, 1, (-2, -1))
    if name == "transpose":
        return x.transpose(-2, -1)
    raise ValueError(f"unknown transform {name!r}; choose one of {', '.join(TRANSFORMS)}")


def untransform(name: str, y: torch.Tensor) -> torch.Tensor:
    """T^-1: domain B -> domain A."""
    return torch.rot90(y, -1, (-2, -1)) if name == "rot90" else transform(name, y)  # the others are involutions


@dataclass(frozen=True)
class Config:
    image_shape: tuple[int, ...] = (1, 8, 8)
    transform: str = "invert"   # T, which makes domain B; one of TRANSFORMS
    arch: str = "conv"          # the translators: "conv" (3x3 convolutions) or "mlp" (fully connected)
    width: int = 32             # conv channels; an mlp has 8 x width hidden units
    cycle_weight: float = 10.0  # lambda (Zhu et al. use 10)
    dataset: str = "digits"     # where sample() takes its domain-A images from
    lr: float = 2e-4            # Adam, beta1 = 0.5, as CycleGAN
    beta1: float = 0.5
    batch_size: int = 128       # split in halves: 64 from A, 64 others into B

    def __post_init__(self):
        check_fields(self)
        if self.arch not in ARCHS:
            raise ValueError(f"unknown arch {self.arch!r}; choose one of {', '.join(ARCHS)}")
        if self.transform not in TRANSFORMS:
            raise ValueError(f"unknown transform {self.transform!r}; choose one of {', '.join(TRANSFORMS)}")
        if len(self.image_shape) != 3 or (self.transform != "invert" and self.image_shape[1] != self.image_shape[2]):
            raise ValueError("CycleGAN needs images (C, H, W), square ones for rot90 and transpose")
        check_ranges(self, width=">= 1", batch_size=">= 2", cycle_weight=">= 0", beta1="in [0, 1)")


class ConvTranslator(nn.Module):
    """Three 3x3 convolutions: each output pixel sees a 7x7 neighbourhood, through filters shared by all places."""

    def __init__(self, c: Config):
        super().__init__()
        channels = c.image_shape[0]
        self.net = nn.Sequential(nn.Conv2d(channels, c.width, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(c.width, c.width, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(c.width, channels, 3, padding=1), nn.Tanh())

    def forward(self, x):
        return self.net(x)


class MLPTranslator(nn.Module):
    """Fully connected: every output pixel may depend on every input pixel, with nothing tying neighbours."""

    def __init__(self, c: Config):
        super().__init__()
        size, hidden = math.prod(c.image_shape), 8 * c.width
        self.shape = c.image_shape
        self.net = nn.Sequential(nn.Linear(size, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, size), nn.Tanh())

    def forward(self, x):
        return self.net(x.flatten(1)).view(-1, *self.shape)


def critic(c: Config) -> nn.Sequential:
    """A domain's discriminator: an MLP over the pixels giving one score (least squares: 1 real, 0 fake)."""
    size, hidden = math.prod(c.image_shape), 8 * c.width
    return nn.Sequential(nn.Flatten(), nn.Linear(size, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden),
                         nn.LeakyReLU(0.2), nn.Linear(hidden, 1))


class CycleGAN(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        translator = ConvTranslator if config.arch == "conv" else MLPTranslator
        self.g_ab, self.g_ba = translator(config), translator(config)  # G: A -> B and F: B -> A
        self.d_a, self.d_b = critic(config), critic(config)


def build(config: Config) -> CycleGAN:
    return CycleGAN(config)


def config_for(dataset, **overrides) -> Config:
    return Config(**{"image_shape": tuple(dataset.shape), "dataset": dataset.name, **overrides})


def split_domains(x: torch.Tensor, transform_name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch as unpaired domains: a = the even-placed images, b = T(the odd-placed ones)."""
    return x[0::2], transform(transform_name, x[1::2])


class Trainer(TrainerBase):
    partial_steps = True  # the discriminators' update leaves the translators out
    def __init__(self, model: CycleGAN, config: Config):
        self.model, self.config = model, config
        betas = (config.beta1, 0.999)
        self.opt_g = torch.optim.Adam([*model.g_ab.parameters(), *model.g_ba.parameters()], config.lr, betas=betas)
        self.opt_d = torch.optim.Adam([*model.d_a.parameters(), *model.d_b.parameters()], config.lr, betas=betas)

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        """One update of both translators, then of both discriminators (least-squares GAN losses)."""
        m, c = self.model, self.config
        m.train()
        a, b = split_domains(x, c.transform)

        def translators():
            fake_b, fake_a = m.g_ab(a), m.g_ba(b)
            adversarial = ((m.d_b(fake_b) - 1) ** 2).mean() + ((m.d_a(fake_a) - 1) ** 2).mean()
            cycle = (m.g_ba(fake_b) - a).abs().mean() + (m.g_ab(fake_a) - b).abs().mean()
            return fake_b, fake_a, adversarial, cycle, adversarial + c.cycle_weight * cycle

        fake_b, fake_a, adversarial, cycle, loss_g = self.losses(translators)
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        fake_b, fake_a = fake_b.detach(), fake_a.detach()
        loss_d = self.losses(lambda: 0.5 * (((m.d_b(b) - 1) ** 2).mean() + (m.d_b(fake_b) ** 2).mean()
                                            + ((m.d_a(a) - 1) ** 2).mean() + (m.d_a(fake_a) ** 2).mean()))
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        return {"loss_g": float(loss_g.detach()), "loss_d": float(loss_d.detach()), "cycle": float(cycle.detach()),
                "adversarial": float(adversarial.detach())}


def sample(model: CycleGAN, n: int, *, generator: torch.Generator, label: int | None = None) -> torch.Tensor:
    """n translations G(a) of domain-A test images drawn at random: images of domain B in [-1, 1]."""
    from gen_core.data import load_card_dataset

    if label is not None:
        raise ValueError("a CycleGAN translates images: it cannot sample a chosen class")
    x_test = load_card_dataset(model.config.dataset).x_test
    index = torch.randint(len(x_test), (n,), generator=generator, device=generator.device).cpu()
    return model.g_ab(x_test[index].to(next(model.parameters()).device))


@torch.no_grad()
def translate(model: CycleGAN, a: torch.Tensor) -> dict:
    """For domain-A images a: G(a), the true answer T(a), and the round trip F(G(a)); all float on the CPU."""
    device = next(model.parameters()).device
    a = a.to(device)
    forward = model.g_ab(a)
    return {"a": a.float().cpu(), "g": forward.float().cpu(),
            "target": transform(model.config.transform, a).float().cpu(), "cycle": model.g_ba(forward).float().cpu()}


def classes_read(transform_name: str, dataset, translated: torch.Tensor):
    """The reference classifier's reading of T^-1(G(a)): a's digit if G found T itself. None without a classifier."""
    from gen_core import metrics

    return metrics.predict_classes(dataset, untransform(transform_name, translated))


@torch.no_grad()
def evaluate(model: CycleGAN, dataset, generator: torch.Generator) -> dict:
    """On the test set: the cycle error |F(G(a)) - a| (what training minimised), the distance to the true answer
    |G(a) - T(a)| (what it never saw), and the share of images whose class survives (the reference classifier on
    T^-1(G(a)))."""
    model.eval()
    found = translate(model, dataset.x_test)
    out = {"cycle_error": float((found["cycle"] - found["a"]).abs().mean()),
           "target_error": float((found["g"] - found["target"]).abs().mean())}
    read = classes_read(model.config.transform, dataset, found["g"])
    if read is not None:
        out["class_kept"] = float((torch.as_tensor(read) == dataset.y_test).float().mean())
    return out
