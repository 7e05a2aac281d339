"""The atlas of generative models that the home page draws, condensed from the syllabus (shared/syllabus.md).

Plain data: each family says in one line how it works and how it fails; the comparison table is the syllabus's
"generative vs discriminative" table row by row.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    key: str
    name: str
    works: str       # how it works, one line
    fails: str       # how it fails, one line
    examples: str
    density: str     # what it says about p(x)


FAMILIES = (
    Family("autoregressive", "Autoregressive models",
           r"Factorise $p(x)=\prod_i p(x_i \mid x_{<i})$ and predict each value from the ones before it.",
           "Sampling is sequential, one value at a time, so it is slow; errors compound along the sequence.",
           "PixelCNN, any-order autoregressive diffusion, a character GRU and a time-series GRU (all in the "
           "Likelihood Lab); WaveNet, GPT",
           "exact likelihood"),
    Family("vae", "Variational autoencoders (VAE, AEVB)",
           r"An encoder maps $x$ to a Gaussian $q(z\mid x)$ in a low-dimensional latent space, a decoder maps $z$ "
           r"back; training maximises the ELBO $=\mathbb{E}_q[\log p(x\mid z)] - \mathrm{KL}(q(z\mid x)\,\|\,p(z))$.",
           "Blurry samples and reconstructions; posterior collapse, where the decoder ignores z; "
           "entangled latent dimensions.",
           "VAE, beta-VAE, VQ-VAE", "a lower bound (ELBO)"),
    Family("gan", "Generative adversarial networks (GAN)",
           r"A generator $G(z)$ and a discriminator $D(x)$ play $\min_G \max_D V(D,G) = \mathbb{E}[\log D(x)] "
           r"+ \mathbb{E}[\log(1-D(G(z)))]$.",
           "Mode collapse and mode dropping, unstable training, one network overpowering the other, "
           "and no likelihood to evaluate by.",
           "vanilla GAN, DCGAN, conditional GAN, Progressive GAN, CycleGAN, StyleGAN, BigGAN and the "
           "self-attention GAN (all in the GAN Studio)",
           "none (implicit)"),
    Family("flow", "Normalizing flows",
           r"A chain of invertible maps turns a Gaussian into the data; the change of variables gives "
           r"$\log p(x) = \log p(z) + \log|\det \partial z/\partial x|$ exactly.",
           "Every layer must be invertible with a cheap Jacobian, which limits expressiveness and costs memory "
           "(the latent has the data's full dimension).",
           "RealNVP (2-D Playground), Glow on digits (Likelihood Lab)", "exact likelihood"),
    Family("ebm", "Energy-based models (EBM)",
           r"Learn an energy $E(x)$, low on data and high elsewhere, with $p(x) \propto e^{-E(x)}$; "
           r"sample with Langevin dynamics.",
           "The normaliser is intractable, so training and sampling need slow MCMC chains that mix poorly.",
           "on 2-D points (2-D Playground) and digits (Likelihood Lab); RBMs, JEM, score matching", "unnormalised"),
    Family("diffusion", "Diffusion models",
           "Forward: add Gaussian noise over $T$ steps until the image is pure noise. Reverse: a network learns "
           "to remove the noise step by step, trained on a variational bound.",
           "Slow sampling (hundreds of network evaluations per sample) and heavy compute; "
           "latent diffusion runs in a VAE's latent space to cut it.",
           "DDPM, DDIM, latent diffusion, discrete (D3PM), variational (VDM), a super-resolution cascade (all in "
           "the Diffusion Theater); autoregressive diffusion (ARDM, the Likelihood Lab's Any order tab)",
           "a lower bound"),
    Family("hmm", "Hidden Markov models (HMM)",
           "A hidden state follows a Markov chain and emits each observation; the forward algorithm gives the "
           "exact likelihood.",
           "The Markov assumption forgets everything but the last state, so long-range structure is lost.",
           "Gaussian HMMs per class on time series (Likelihood Lab); speech recognition, part-of-speech tagging",
           "exact likelihood"),
)

# The syllabus's table: (row, generative, discriminative).
COMPARISON = (
    ("Objective", "learn the data distribution $p(x, y)$ and generate new samples from it",
     r"learn the boundary between classes, $p(y \mid x)$"),
    ("Data generation", "can generate new samples that resemble the training data",
     "cannot generate; classifies or predicts labels for given inputs"),
    ("Use cases", "data augmentation, synthetic data, anomaly detection", "classification, regression"),
    ("Model complexity", "often more complex", "simpler"),
    ("Missing data", "handled by marginalising the learned distribution",
     "needs preprocessing such as imputation"),
    ("Irrelevant features", "can be sensitive to them", "tend to be more robust to them"),
    ("Examples", "VAEs, GANs, autoregressive models (PixelCNN), HMMs",
     "logistic regression, SVMs, decision trees, random forests"),
)
