"""The game: the value function V(D, G), each objective's losses for D and G, the penalties (WGAN-GP's gradient
penalty, R1, BigGAN's orthogonal regularisation) and the Trainer that alternates D and G updates."""
from __future__ import annotations


import torch
import torch.nn.functional as F
from torch import nn

from gen_core.models.common import TrainerBase
from gen_core.models.gan.config import Config
from gen_core.models.gan.latents import draw_labels, draw_latents
from gen_core.models.gan.networks import GAN, level_at


def value(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))] with D = sigmoid(logit): log sigma(l) = -softplus(-l) and
    log(1 - sigma(l)) = -softplus(l), which stay finite where D saturates."""
    real_term, fake_term = value_terms(real_logits, fake_logits)
    return real_term + fake_term


def value_terms(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The two expectations of V(D, G): E[log D(x)] and E[log(1 - D(G(z)))]."""
    return -F.softplus(-real_logits).mean(), -F.softplus(fake_logits).mean()


def discriminator_loss(loss: str, real_logits, fake_logits) -> torch.Tensor:
    if loss in ("minimax", "nonsaturating"):
        return -value(real_logits, fake_logits)
    if loss == "hinge":
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()
    return fake_logits.mean() - real_logits.mean()  # wgan-gp, penalty added by the trainer


def generator_loss(loss: str, fake_logits) -> torch.Tensor:
    if loss == "minimax":
        return -F.softplus(fake_logits).mean()     # E[log(1 - D(G(z)))], minimised
    if loss == "nonsaturating":
        return F.softplus(-fake_logits).mean()     # -E[log D(G(z))]
    return -fake_logits.mean()                     # hinge and wgan-gp


def gradient_penalty(model: GAN, real, fake, labels, generator) -> torch.Tensor:
    """E[(||grad_x l(x_hat)||_2 - 1)^2] at random points x_hat between real and generated samples."""
    pack = model.config.pack
    t = torch.rand((len(real) // pack, 1), generator=generator, device=generator.device).to(real.device)
    t = t.repeat_interleave(pack, 0).view((len(real),) + (1,) * (real.dim() - 1))  # one t per pack
    x_hat = (t * real + (1 - t) * fake).requires_grad_(True)
    logits, _ = model.discriminate(x_hat, labels)
    grad, = torch.autograd.grad(logits.sum(), x_hat, create_graph=True)
    return ((grad.reshape(len(logits), -1).norm(dim=1) - 1) ** 2).mean()  # one norm per logit (per pack)


def adam(parameters, lr: float, betas) -> torch.optim.Adam:
    """Adam, fused into one kernel where the device allows (CPU, CUDA): for the Playground's small MLPs the
    optimiser step is a third of the time, and the fused one is ~4x faster on the CPU."""
    parameters = list(parameters)
    fused = all(p.device.type in ("cpu", "cuda") for p in parameters)
    return torch.optim.Adam(parameters, lr=lr, betas=betas, fused=fused or None)


class Trainer(TrainerBase):
    """One iteration = d_steps discriminator updates, then g_steps generator updates.

    The first discriminator update and the first generator update share one generated batch: D learns on it
    detached, then G is scored on the same batch by the updated D (the graph through G is kept), which saves a
    generator forward per iteration without changing the alternating game."""
    partial_steps = True  # D's update leaves G's weights out (and G's, under torchrun, D's)

    def __init__(self, model: GAN, config: Config):
        self.model, self.config = model, config
        betas = (0.0, 0.9) if config.loss == "wgan-gp" else (config.beta1, 0.999)
        self.opt_g = adam(model.generator.parameters(), config.lr_g, betas)
        self.opt_d = adam(model.discriminator.parameters(), config.lr_d, betas)
        self.iteration = 0

    def learning_rate_factor(self) -> float:
        """1 for the first anneal_steps / 2 iterations, then linearly down to 0 at anneal_steps (0 after)."""
        total = self.config.anneal_steps
        return 1.0 if not total else max(0.0, min(1.0, 2.0 * (1.0 - self.iteration / total)))

    def generate_batch(self, n: int, generator: torch.Generator):
        labels = draw_labels(self.model, n, generator)
        return self.model.generate(draw_latents(self.model, n, generator), labels, noise_generator=generator), labels

    def discriminator_step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator,
                           fake: torch.Tensor | None = None, fake_labels: torch.Tensor | None = None) -> dict:
        """One update of D on real x and a generated batch (a fresh one unless given), G frozen."""
        model, c = self.model, self.config
        real_labels = y if c.num_classes else None
        if fake is None:
            with torch.no_grad():
                fake, fake_labels = self.generate_batch(len(x), generator)
        fake = fake.detach()
        # Real and generated through D in one call: half the kernel launches, which is what small MLPs pay for.
        both_labels = None if real_labels is None else torch.cat([real_labels, fake_labels])
        if c.r1_weight:
            x = x.detach().requires_grad_(True)  # R1 needs D's gradient with respect to the real images

        def losses():
            logits, classes = model.discriminate(torch.cat([x, fake]), both_labels)
            real_logits, fake_logits = logits.chunk(2)
            loss_d = discriminator_loss(c.loss, real_logits, fake_logits)
            if c.loss == "wgan-gp":
                loss_d = loss_d + c.gp_weight * gradient_penalty(model, x, fake, real_labels, generator)
            if c.r1_weight:  # R1: gamma/2 E||grad_x l(x)||^2 on real data only (Mescheder et al., 2018, eq. 9)
                grad, = torch.autograd.grad(real_logits.sum(), x, create_graph=True)
                loss_d = loss_d + c.r1_weight / 2 * grad.square().flatten(1).sum(1).mean()
            if classes is not None:
                real_class, fake_class = classes.chunk(2)
                loss_d = loss_d + c.aux_weight * (F.cross_entropy(real_class, y)
                                                  + F.cross_entropy(fake_class, fake_labels))
            return loss_d, logits, real_logits, fake_logits

        loss_d, logits, real_logits, fake_logits = self.losses(losses)
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()
        with torch.no_grad():
            real_term, fake_term = value_terms(real_logits, fake_logits)
            d_real, d_fake = torch.sigmoid(logits).view(2, -1).mean(1)
            stats = torch.stack([loss_d, d_real, d_fake, real_term, fake_term]).tolist()  # one copy out, not five
        return dict(zip(("loss_d", "d_real", "d_fake", "log_d_real", "log_1m_d_fake"), stats))

    def generator_step(self, n: int, generator: torch.Generator, fake: torch.Tensor | None = None,
                       fake_labels: torch.Tensor | None = None) -> dict:
        """One update of G against the current D (only G's optimiser steps)."""
        model, c = self.model, self.config
        if fake is None:
            fake, fake_labels = self.generate_batch(n, generator)
        g_logits, g_class = model.discriminate(fake, fake_labels)
        loss_g = generator_loss(c.loss, g_logits)
        if g_class is not None:
            loss_g = loss_g + c.aux_weight * F.cross_entropy(g_class, fake_labels)
        if c.ortho_weight:
            loss_g = loss_g + c.ortho_weight * orthogonal_penalty(model.generator)
        # Gradients for G's weights only: backward() would also fill D's, which nobody uses here.
        parameters = [p for group in self.opt_g.param_groups for p in group["params"]]
        # (allow_unused: a progressive G's finer blocks take no part before they are grown; their grad stays None)
        self.set_gradients(parameters, torch.autograd.grad(loss_g, parameters, allow_unused=True))
        self.opt_g.step()
        return {"loss_g": float(loss_g.detach())}

    def step(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None) -> dict:
        """One iteration. Returns both losses, D(x) and D(G(z)) as mean probabilities, and the two terms of
        V(D, G), from D's last update."""
        self.model.train()
        c = self.config
        generator = generator or torch.Generator(device=x.device)
        if c.arch == "progressive":  # both networks at the schedule's level for this iteration
            level = level_at(self.iteration, c.grow_steps, self.model.generator.top)
            self.model.generator.level.fill_(level)
            self.model.discriminator.level.fill_(level)
        factor = self.learning_rate_factor()
        for optimizer, lr in ((self.opt_d, c.lr_d), (self.opt_g, c.lr_g)):
            for group in optimizer.param_groups:
                group["lr"] = lr * factor
        fake, fake_labels = self.generate_batch(len(x), generator)
        for k in range(c.d_steps):
            d_metrics = self.discriminator_step(x, y, generator, *((fake, fake_labels) if k == 0 else ()))
        for k in range(c.g_steps):
            g_metrics = self.generator_step(len(x), generator, *((fake, fake_labels) if k == 0 else ()))
        self.iteration += 1
        return {"loss_d": d_metrics["loss_d"], **g_metrics, **d_metrics}  # the losses first, for progress bars


def orthogonal_penalty(network: nn.Module) -> torch.Tensor:
    """BigGAN's orthogonal regularisation, sum over weights W (rows = output units) of ||W W^T * (1 - I)||_F^2:
    it pushes the filters towards orthogonal directions without constraining their norms (Brock et al. 2019,
    eq. 3), which is what keeps G smooth enough for the truncation trick."""
    total = 0.0
    for name, weight in network.named_parameters():
        if weight.dim() < 2 or name.endswith("embed.weight"):
            continue
        rows = weight.flatten(1)
        # the Gram matrix of the filters, or of the inputs' weight vectors where those are fewer (G's first
        # layer has thousands of outputs from 32 inputs): the smaller matrix, the same push towards orthogonality
        gram = rows @ rows.T if len(rows) <= rows.shape[1] else rows.T @ rows
        total = total + (gram * (1 - torch.eye(len(gram), device=gram.device))).square().sum()
    return torch.as_tensor(total)
