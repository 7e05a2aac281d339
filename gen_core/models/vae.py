"""Convolutional variational autoencoder (Kingma & Welling, 2014), with beta weighting (Higgins et al., 2017).

The network (encoder q(z|x), decoder p(x|z)) is kept apart from the process (the ELBO, sampling). Pixels are
modelled as Bernoulli with the decoder's logits on images rescaled to [0, 1], the usual choice for MNIST-like data;
for grey levels between 0 and 1 this is the cross-entropy, so "log-likelihood" below means that.

    ELBO(x) = E_q(z|x)[log p(x|z)] - KL(q(z|x) || N(0, I))                        (Kingma & Welling, eq. 3)
    KL      = 1/2 sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2)                  (ibid., appendix B)
    loss    = -E_q[log p(x|z)] + beta * KL                                        (beta-VAE)

A large beta pays for every nat of information in z, so the encoder gives up and q(z|x) = p(z) for most
dimensions: posterior collapse, visible as KL per dimension near zero.

2-D points (the Playground) get MLPs and a Gaussian likelihood instead, p(x|z) = N(mu(z), diag sigma^2) with
one learned sigma per coordinate. Sampling draws z ~ N(0, I) and then x ~ p(x|z): that single, shared sigma is
why a VAE's samples blur across the gaps between modes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.common import TrainerBase, check_fields, check_ranges, num_downsamples

DATA_KINDS = ("image", "points")


@dataclass(frozen=True)
class Config:
    image_shape: tuple[int, ...] = (1, 8, 8)  # (C, H, W) of the training images, or (2,) for points
    latent_dim: int = 16        # size of z
    channels: int = 32          # width of the first conv layer; doubles at each downsampling
    beta: float = 1.0           # weight of the KL term; > 1 trades reconstruction for a simpler posterior
    lr: float = 2e-3            # Adam learning rate
    batch_size: int = 16        # small: digits has only 1,437 images, so one epoch is ~90 steps
    kl_warmup: int = 0          # > 0: beta rises linearly from 0 over this many steps (Bowman et al., 2016)
    hidden: int = 128           # points only: hidden units of the MLP encoder and decoder
    data_scale: float = 1.0     # points only: divided out before the networks (the data's std)

    def __post_init__(self):
        check_fields(self)
        if len(self.image_shape) not in (1, 3) or min(self.image_shape) < 1:
            raise ValueError(f"image_shape must be (C, H, W) or (D,) for points, got {self.image_shape}")
        check_ranges(self, latent_dim=">= 1", channels=">= 1", batch_size=">= 1", beta=">= 0", lr="> 0", hidden=">= 1",
                     data_scale="> 0", kl_warmup=">= 0")

    @property
    def is_image(self) -> bool:
        return len(self.image_shape) == 3


class ConvVAE(nn.Module):
    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        c, h, w = config.image_shape
        downs = num_downsamples(min(h, w))
        widths = [config.channels * 2 ** k for k in range(downs + 1)]
        self.feature_shape = (widths[-1], h // 2 ** downs, w // 2 ** downs)
        features = widths[-1] * self.feature_shape[1] * self.feature_shape[2]

        encoder = [nn.Conv2d(c, widths[0], 3, padding=1), nn.SiLU()]
        for a, b in zip(widths, widths[1:]):
            encoder += [nn.Conv2d(a, b, 4, stride=2, padding=1), nn.SiLU()]
        self.encoder = nn.Sequential(*encoder, nn.Flatten())
        self.to_mu = nn.Linear(features, config.latent_dim)
        self.to_logvar = nn.Linear(features, config.latent_dim)

        decoder = [nn.Linear(config.latent_dim, features), nn.SiLU(), nn.Unflatten(1, self.feature_shape)]
        for a, b in zip(widths[::-1], widths[::-1][1:]):
            decoder += [nn.ConvTranspose2d(a, b, 4, stride=2, padding=1), nn.SiLU()]
        self.decoder = nn.Sequential(*decoder, nn.Conv2d(widths[0], c, 3, padding=1))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, C, H, W) in [-1, 1] -> mu, log sigma^2, each (B, latent_dim)."""
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h).clamp(-12, 8)

    def decode_logits(self, z: torch.Tensor) -> torch.Tensor:
        """z (B, latent_dim) -> Bernoulli logits (B, C, H, W)."""
        return self.decoder(z)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z -> the decoder's mean image, in [-1, 1]."""
        return torch.sigmoid(self.decode_logits(z)) * 2 - 1


class PointVAE(nn.Module):
    """Encoder and decoder MLPs for points (B, D), with a learned per-coordinate log sigma^2 of p(x|z)."""

    def __init__(self, config: Config):
        super().__init__()
        self.config = config
        dim, h, latent = config.image_shape[0], config.hidden, config.latent_dim
        self.encoder = nn.Sequential(nn.Linear(dim, h), nn.SiLU(), nn.Linear(h, h), nn.SiLU())
        self.to_mu, self.to_logvar = nn.Linear(h, latent), nn.Linear(h, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, h), nn.SiLU(), nn.Linear(h, h), nn.SiLU(), nn.Linear(h, dim))
        self.log_sigma2 = nn.Parameter(torch.zeros(dim))  # of p(x|z), in standardised units

    def encode(self, x):
        h = self.encoder(x / self.config.data_scale)
        return self.to_mu(h), self.to_logvar(h).clamp(-12, 8)

    def decode(self, z):
        """z -> the decoder's mean mu(z), in data units."""
        return self.decoder(z) * self.config.data_scale

    def recon_nll(self, x, z):
        """-log N(x; mu(z), sigma^2) per point (B,), in standardised units (a constant shift from data units)."""
        scale = self.config.data_scale
        mean, log_var = self.decoder(z), self.log_sigma2.clamp(-12, 4)
        return 0.5 * ((x / scale - mean).pow(2) / log_var.exp() + log_var + math.log(2 * math.pi)).sum(1)


def build(config: Config) -> nn.Module:
    return ConvVAE(config) if config.is_image else PointVAE(config)


def config_for(dataset, **overrides) -> Config:
    """Defaults for a dataset; `overrides` (e.g. latent_dim=2, beta=8) win. Points get 2-D codes and MLPs."""
    defaults = dict(image_shape=tuple(dataset.shape))
    if dataset.kind == "points":
        defaults.update(latent_dim=2, batch_size=256, lr=3e-3, kl_warmup=1000,
                        data_scale=round(float(dataset.x_train.std()), 4))
    return Config(**{**defaults, **overrides})


def elbo_terms(model: ConvVAE, x: torch.Tensor, generator: torch.Generator | None = None) -> dict:
    """Per-example terms of the ELBO with one reparameterised sample z = mu + sigma * eps.

    Returns recon_nll (B,) = -log p(x|z), kl (B,), kl_per_dim (B, latent_dim), and mu, logvar, z."""
    mu, logvar = model.encode(x)
    eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
    z = mu + torch.exp(0.5 * logvar) * eps  # the reparameterisation trick
    if isinstance(model, PointVAE):
        recon_nll = model.recon_nll(x, z)
    else:
        logits = model.decode_logits(z)
        target = (x + 1) / 2
        recon_nll = F.binary_cross_entropy_with_logits(logits, target, reduction="none").flatten(1).sum(1)
    kl_per_dim = 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)
    return dict(recon_nll=recon_nll, kl=kl_per_dim.sum(1), kl_per_dim=kl_per_dim, mu=mu, logvar=logvar, z=z)


@torch.no_grad()
def importance_weighted_nll(model: ConvVAE, x: torch.Tensor, samples: int = 64,
                            generator: torch.Generator | None = None) -> torch.Tensor:
    """-log p(x) bounded from above with `samples` draws from q(z|x) (Burda et al., 2016, eq. 8), per example (B,):
    -log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x). K = 1 is the ELBO; the bound tightens as K grows. For images
    the decoder is the Bernoulli of the ELBO on grey levels in [0, 1] (its cross-entropy), the same quantity the
    card's test_elbo bounds."""
    mu, logvar = model.encode(x)
    std = torch.exp(0.5 * logvar)
    log_weights = []
    for _ in range(samples):
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        z = mu + std * eps
        if isinstance(model, PointVAE):
            recon_nll = model.recon_nll(x, z)
        else:
            recon_nll = F.binary_cross_entropy_with_logits(model.decode_logits(z), (x + 1) / 2,
                                                           reduction="none").flatten(1).sum(1)
        log_pz = -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(1)
        log_qz = -0.5 * (eps.pow(2) + logvar + math.log(2 * math.pi)).sum(1)
        log_weights.append(-recon_nll + log_pz - log_qz)
    return -(torch.logsumexp(torch.stack(log_weights), 0) - math.log(samples))


def loss(model: ConvVAE, x: torch.Tensor, generator: torch.Generator | None = None, beta: float | None = None) -> dict:
    """The beta-weighted negative ELBO averaged over the batch, with its parts for logging."""
    terms = elbo_terms(model, x, generator)
    recon, kl = terms["recon_nll"].mean(), terms["kl"].mean()
    beta = model.config.beta if beta is None else beta
    return dict(loss=recon + beta * kl, recon=recon, kl=kl, elbo=-(recon + kl))


class Trainer(TrainerBase):
    def __init__(self, model: ConvVAE, config: Config):
        self.model, self.config = model, config
        self.optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
        self.steps = 0

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        self.model.train()
        c = self.config
        # KL warm-up: with the full KL from the start, a decoder with a learned sigma can settle on the posterior
        # collapse optimum (ignore z, output the data's mean with a wide sigma) before z carries anything.
        beta = c.beta * min(1.0, (self.steps + 1) / c.kl_warmup) if c.kl_warmup else c.beta
        self.steps += 1
        out = self.losses(lambda: loss(self.model, x, generator, beta))
        self.optimizer.zero_grad(set_to_none=True)
        out["loss"].backward()
        self.optimizer.step()
        return {k: float(v.detach()) for k, v in out.items()}


def sample(model: ConvVAE, n: int, *, generator: torch.Generator, label: int | None = None) -> torch.Tensor:
    """n images decoded from z ~ N(0, I): (n, C, H, W) in [-1, 1] (the decoder's mean image); for points, x drawn
    from p(x|z) itself, decoder noise included."""
    if label is not None:
        raise ValueError("this VAE is unconditional: it cannot sample a chosen class")
    device = next(model.parameters()).device
    z = torch.randn(n, model.config.latent_dim, generator=generator, device=generator.device).to(device)
    if isinstance(model, PointVAE):
        noise = torch.randn(n, model.config.image_shape[0], generator=generator, device=generator.device).to(device)
        return model.decode(z) + noise * (0.5 * model.log_sigma2).exp() * model.config.data_scale
    return model.decode(z)


@torch.no_grad()
def evaluate(model: ConvVAE, dataset, generator: torch.Generator) -> dict:
    """Test-set ELBO and its parts (nats per image), and the number of active latent units (mean KL > 0.01)."""
    model.eval()
    device = next(model.parameters()).device
    totals = dict(recon=0.0, kl=0.0)
    kl_dims = torch.zeros(model.config.latent_dim)
    n = len(dataset.x_test)
    for start in range(0, n, 512):
        x = dataset.x_test[start:start + 512].to(device)
        terms = elbo_terms(model, x, generator)
        totals["recon"] += float(terms["recon_nll"].sum())
        totals["kl"] += float(terms["kl"].sum())
        kl_dims += terms["kl_per_dim"].sum(0).cpu()
    recon, kl = totals["recon"] / n, totals["kl"] / n
    out = {"test_elbo": -(recon + kl), "test_recon_nll": recon, "test_kl": kl,
           "active_units": int((kl_dims / n > 0.01).sum())}
    if isinstance(model, PointVAE):
        from gen_core.mode_metrics import point_metrics
        out.update(point_metrics(sample(model, 2500, generator=generator).cpu(), dataset))
    return out


# --- for the latent explorer ----------------------------------------------------------------------------------

@torch.no_grad()
def encode_dataset(model: ConvVAE, dataset_name: str, split: str = "test", seed: int = 0) -> dict:
    """Encode a registered dataset's split: mu, logvar (N, D), labels (N,), and each example's ELBO terms
    recon_nll, kl (N,) from one reparameterised sample; all NumPy on the CPU."""
    from gen_core.data import load_card_dataset
    from gen_core.device import make_generator

    dataset = load_card_dataset(dataset_name)
    x_all, y_all = (dataset.x_test, dataset.y_test) if split == "test" else (dataset.x_train, dataset.y_train)
    device = next(model.parameters()).device
    generator = make_generator(seed, device)
    parts = {k: [] for k in ("mu", "logvar", "recon_nll", "kl", "kl_per_dim")}
    for start in range(0, len(x_all), 512):
        terms = elbo_terms(model, x_all[start:start + 512].to(device), generator)
        for key in parts:
            parts[key].append(terms[key].float().cpu())
    out = {k: torch.cat(v).numpy() for k, v in parts.items()}
    out["labels"] = y_all.numpy()
    return out


@torch.no_grad()
def reconstruct(model: ConvVAE, x: torch.Tensor) -> torch.Tensor:
    """The decoder's mean at the encoder's mean: x -> decode(mu(x)), in [-1, 1]."""
    mu, _ = model.encode(x)
    return model.decode(mu)


@torch.no_grad()
def decode_latents(model: ConvVAE, z) -> torch.Tensor:
    """Latent codes (B, D) (any array-like) -> images (B, C, H, W) in [-1, 1] on the CPU."""
    device = next(model.parameters()).device
    return model.decode(torch.as_tensor(z, dtype=torch.float32, device=device).reshape(-1, model.config.latent_dim)).cpu()


@torch.no_grad()
def traversal_grid(model: ConvVAE, z: torch.Tensor, dims: list[int], values: torch.Tensor) -> torch.Tensor:
    """Vary one latent dimension at a time from the code z (D,): row r sets dimension dims[r] to each of
    `values` (in units of the prior's standard deviation, 1). Returns (len(dims) * len(values), C, H, W)."""
    device = next(model.parameters()).device
    codes = z.to(device).repeat(len(dims) * len(values), 1)
    for row, dim in enumerate(dims):
        codes[row * len(values):(row + 1) * len(values), dim] = values.to(device)
    return model.decode(codes).cpu()


@torch.no_grad()
def impute(model: ConvVAE, x: torch.Tensor, known: torch.Tensor, steps: int = 30) -> list[torch.Tensor]:
    """Fill the unknown pixels of x (B, C, H, W) while known pixels (mask, True = known) stay fixed.

    Iterates x <- known * x + (1 - known) * decode(mu(x)), starting from grey; each step pulls the image
    toward the VAE's manifold while the observed pixels anchor it (the iterative conditional reconstruction of
    Rezende et al., 2014, section 5.3). Returns the image after each step."""
    device = next(model.parameters()).device
    x, known = x.to(device), known.to(device).float()
    current = known * x  # unknown pixels start at 0, mid-grey in [-1, 1]
    frames = [current.cpu()]
    for _ in range(steps):
        current = known * x + (1 - known) * reconstruct(model, current)
        frames.append(current.cpu())
    return frames


@torch.no_grad()
def elbo_of(model: ConvVAE, x: torch.Tensor, samples: int = 16, seed: int = 0) -> torch.Tensor:
    """ELBO of each image (B,), averaged over `samples` draws of z to steady the estimate."""
    from gen_core.device import make_generator

    device = next(model.parameters()).device
    generator = make_generator(seed, device)
    x = x.to(device)
    total = torch.zeros(len(x), device=device)
    for _ in range(samples):
        terms = elbo_terms(model, x, generator)
        total += -(terms["recon_nll"] + terms["kl"])
    return (total / samples).cpu()
