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

The package, one concept a file (its `__init__` is the family contract): `config` (Config and each variant's
defaults), `networks` (G and D for MLP, DCGAN and progressive, and `GAN`), `variants` (BigGAN, SAGAN and
StyleGAN networks), `latents` (z, labels, truncation, `sample`), `training` (the value function, the losses and
the Trainer), `measures` (the card's metrics, and the variant measures that go into it: BigGAN's truncation
curve, StyleGAN's mixing agreement).
"""
from __future__ import annotations

from gen_core.models.gan.config import ARCH_DEFAULTS, ARCHS, DATA_KINDS, LOSSES, Config
from gen_core.models.gan.latents import (draw_labels, draw_latents, generate_path, has_truncation_curve, sample,
                                         sample_batch, truncated_latents)
from gen_core.models.gan.measures import evaluate
from gen_core.models.gan.networks import (GAN, NETWORKS, ConvDiscriminator, ConvGenerator, MLPDiscriminator,
                                          MLPGenerator, ProgressiveDiscriminator, ProgressiveGenerator, level_at,
                                          mlp, one_hot, split_level)
from gen_core.models.gan.training import (Trainer, adam, discriminator_loss, generator_loss, gradient_penalty,
                                          orthogonal_penalty, value, value_terms)


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

