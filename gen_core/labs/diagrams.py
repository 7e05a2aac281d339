"""What flows through each family's diagram for one example: the tensors at every box and the terms of the
equation, for the pages' live diagrams (ui/diagram.py draws them). One function per family; each takes a loaded
model, the data set and a seed or index, and returns plain tensors (images in [-1, 1], CPU) and floats.

GAN (Goodfellow et al., 2014, eq. 1; the non-saturating generator loss of their section 3):
    L_D = -log D(x) - log(1 - D(G(z)))        L_G = -log D(G(z))
VAE (Kingma and Welling, 2014, eq. 3):  ELBO = E_q[log p(x|z)] - KL(q(z|x) || p(z))
Diffusion (Ho et al., 2020, eq. 4 and 14): x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps;  L = ||eps - eps_theta(x_t, t)||^2
Flow (Dinh et al., 2017; Kingma and Dhariwal, 2018): log p(x) = log p_Z(f(x)) + log |det df/dx|
Autoregressive (van den Oord et al., 2016): log p(x) = sum_i log p(x_i | x_<i)
Energy model (LeCun et al., 2006; Du and Mordatch, 2019): p(x) = exp(-E(x)) / Z;
    x_{k+1} = x_k - (eta / 2) grad_x E(x_k) + sqrt(eta) eps
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gen_core.device import make_generator


def for_model(core, name: str, family: str, dataset, *args) -> dict:
    """The diagram values of checkpoint `name` (the lab_call entry point): `family` picks the function below."""
    function = {"gan": _gan, "vae": _vae, "diffusion": _diffusion, "glow": _glow, "pixelcnn": _pixelcnn,
                "energy": _energy}[family]
    return core.run(name, lambda loaded: function(loaded.model, dataset, *args))


def _first(output):
    return output[0] if isinstance(output, tuple) else output


def _gan(model, dataset, seed: int, index: int) -> dict:
    """One generated and one real image through G and D, both losses, and the gradient L_G sends back into x_fake
    (the direction G is pushed in, pixel by pixel)."""
    generator = make_generator(seed)
    device = next(model.parameters()).device
    x_real = dataset.x_test[index:index + 1].to(device)
    label = dataset.y_test[index:index + 1].to(device) if model.config.num_classes else None
    z = torch.randn(1, model.config.z_dim, generator=generator).to(device)
    with torch.no_grad():
        d_real = torch.sigmoid(_first(model.discriminate(x_real, label))).item()
        x_fake = model.generate(z, label)
    with torch.inference_mode(False), torch.enable_grad():  # grad of L_G with respect to the picture only
        x_fake = x_fake.clone().requires_grad_(True)
        logit_fake = _first(model.discriminate(x_fake, label))
        loss_g = F.softplus(-logit_fake).sum()  # -log sigmoid(l) = -log D(G(z))
        (grad,) = torch.autograd.grad(loss_g, x_fake)
    d_fake = torch.sigmoid(logit_fake.detach()).item()
    eps = 1e-7
    return {"z": z[0].cpu(), "x_fake": x_fake.detach()[0].cpu(), "x_real": x_real[0].cpu(), "d_fake": d_fake,
            "d_real": d_real, "loss_d": -math.log(max(d_real, eps)) - math.log(max(1 - d_fake, eps)),
            "loss_g": -math.log(max(d_fake, eps)), "grad": grad[0].cpu(),
            "label": None if label is None else int(label.item())}


def _vae(model, dataset, seed: int, index: int) -> dict:
    """A test image through q(z|x) and p(x|z): mu, sigma, one reparameterised z, the reconstruction, both terms."""
    from gen_core.models import vae as family
    device = next(model.parameters()).device
    x = dataset.x_test[index:index + 1].to(device)
    with torch.no_grad():
        terms = family.elbo_terms(model, x, make_generator(seed, device))
        x_hat = model.decode(terms["z"])
    return {"x": x[0].cpu(), "mu": terms["mu"][0].cpu(), "sigma": (0.5 * terms["logvar"][0]).exp().cpu(),
            "z": terms["z"][0].cpu(), "x_hat": x_hat[0].cpu(), "recon": terms["recon_nll"].item(),
            "kl": terms["kl"].item(), "elbo": -(terms["recon_nll"] + terms["kl"]).item()}


def _diffusion(model, dataset, seed: int, index: int, t: int) -> dict:
    """A test image noised to step t in one jump, the network's noise estimate, its x_0 estimate and the DDPM step
    to x_{t-1}; the training loss at this t."""
    from gen_core.models.diffusion.samplers import ddpm_step
    from gen_core.models.diffusion.schedule import from_model_space, q_sample, to_model_space
    device = model.abar.device
    generator = make_generator(seed, device)
    x0 = to_model_space(model, dataset.x_test[index:index + 1].to(device))
    label = dataset.y_test[index:index + 1].to(device) if model.config.num_classes else None
    eps = torch.randn(x0.shape, generator=generator, device=device)
    t_batch = torch.full((1,), t, device=device, dtype=torch.long)
    abar_t = float(model.abar[t])
    abar_prev = float(model.abar[t - 1]) if t > 0 else 1.0
    with torch.no_grad():
        x_t = q_sample(model, x0, t_batch, eps)
        eps_hat = model.predict_eps(x_t, t_batch, label)
        x0_hat = ((x_t - math.sqrt(1 - abar_t) * eps_hat) / math.sqrt(abar_t)).clamp(-1, 1)
        step_noise = torch.randn(x0.shape, generator=generator, device=device)
        x_prev = ddpm_step(x0_hat, eps_hat, abar_t, abar_prev, (lambda: step_noise) if t > 0 else None)
    back = lambda v: from_model_space(model, v)[0].cpu()  # noqa: E731 - the same conversion for every picture
    return {"x0": back(x0), "eps": eps[0].cpu(), "x_t": back(x_t), "eps_hat": eps_hat[0].cpu(),
            "x0_hat": back(x0_hat), "x_prev": back(x_prev), "t": t, "abar": abar_t,
            "loss": float(F.mse_loss(eps_hat, eps)), "T": len(model.abar)}


def _glow(model, dataset, seed: int, index: int) -> dict:
    """A test image, dequantised, through f: its latents (the coarsest scale shown), log p_Z, log |det|, and the
    bound in bits per dimension."""
    from gen_core.models.glow import dequantise
    device = next(model.parameters()).device
    x = dataset.x_test[index:index + 1].to(device)
    with torch.no_grad():
        y = dequantise(x, model.config.levels, make_generator(seed, device))
        zs, log_det, log_pz = model.encode(y)
    dims = math.prod(x.shape[1:])
    log_px = (log_pz + log_det).item() - dims * math.log(model.config.levels)
    z = zs[0][0]
    return {"x": x[0].cpu(), "y": (y[0] * 2).clamp(-1, 1).cpu(), "z": z[:1].cpu(), "log_pz": log_pz.item(),
            "log_det": log_det.item(), "log_px": log_px, "bits_per_dim": -log_px / (dims * math.log(2))}


def _pixelcnn(model, dataset, index: int, row: int, col: int) -> dict:
    """A binarised test image, the context x_<i that pixel (row, col) sees (its raster past), that pixel's
    p(x_i = 1 | x_<i) and its term, and log p(x) summed over every pixel."""
    from gen_core.models.pixelcnn import to_bits
    device = next(model.parameters()).device
    x = dataset.x_test[index:index + 1].to(device)
    with torch.no_grad():
        bits = to_bits(x)
        logits = model.logits(bits)
        terms = -F.binary_cross_entropy_with_logits(logits, bits, reduction="none")[0, 0]
    width = bits.shape[-1]
    order = torch.arange(bits[0, 0].numel(), device=device).view_as(bits[0, 0])
    past = (order < row * width + col).float()
    context = bits[0, 0] * past + 0.5 * (1 - past)  # unseen pixels grey
    context[row, col] = 0.25  # the pixel being predicted, marked
    p_one = torch.sigmoid(logits[0, 0, row, col]).item()
    return {"x": (bits[0] * 2 - 1).cpu(), "context": (context[None] * 2 - 1).cpu(), "p_one": p_one,
            "pixel": int(bits[0, 0, row, col].item()), "term": terms[row, col].item(),
            "log_px": terms.sum().item(), "pixels": bits[0, 0].numel(), "row": row, "col": col}


def _energy(model, dataset, seed: int, index: int, steps: int = 60) -> dict:
    """E at a test image and at uniform noise, the gradient -grad_x E that Langevin follows from the noise, and
    where `steps` Langevin steps take it."""
    from gen_core.models.ebm import langevin
    device = next(model.parameters()).device
    generator = make_generator(seed, device)
    x = dataset.x_test[index:index + 1].to(device)
    u0 = torch.rand(x.shape, generator=generator, device=device) * 2 - 1
    with torch.enable_grad(), torch.inference_mode(False):
        start = u0.clone().requires_grad_(True)
        e0 = model.energy(start).sum()
        (grad,) = torch.autograd.grad(e0, start)
    end, _ = langevin(model, u0.clone(), steps, generator)
    with torch.no_grad():
        e_real, e_end = model.energy(x).item(), model.energy(end.detach()).item()
    return {"x": x[0].cpu(), "u0": u0[0].cpu(), "grad": (-grad)[0].cpu(), "x_k": end.detach()[0].clamp(-1, 1).cpu(),
            "e_real": e_real, "e_noise": e0.item(), "e_end": e_end, "steps": steps,
            "eta": model.config.step_size}
