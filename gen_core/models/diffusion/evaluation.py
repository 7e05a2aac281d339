"""What a diffusion checkpoint's card records: the test loss and, for images, how a reference classifier reads
DDIM-50 samples (classes covered; for conditional models the share drawn as asked at guidance 1 and 3)."""
from __future__ import annotations

import torch

from gen_core.models.diffusion.networks import Diffusion
from gen_core.models.diffusion.samplers import sample
from gen_core.models.diffusion.training import loss


@torch.no_grad()
def evaluate(model: Diffusion, dataset, generator: torch.Generator) -> dict:
    """Test loss (eq. 14, with the EMA weights), and for images how a reference classifier spreads 500 DDIM-50
    samples over the classes; for conditional models the share recognised as their class at guidance 1 and 3."""
    from gen_core import metrics  # imported on first use: it brings scikit-learn

    model.eval()
    device = model.abar.device
    x, y = dataset.x_test[:1000].to(device), dataset.y_test[:1000].to(device)
    out = {"test_loss": float(loss(model, x, y if model.config.num_classes else None, generator, net=model.ema))}
    if not model.config.is_image:
        from gen_core.mode_metrics import point_metrics
        out.update(point_metrics(sample(model, 2500, generator=generator).cpu(), dataset))
        return out
    steps = min(50, model.config.timesteps)  # DDIM in 50 steps, or all of a model with fewer (T = 20)
    out.update(metrics.class_metrics(dataset, sample(model, 500, generator=generator, steps=steps).cpu()))
    if model.config.num_classes:
        for scale in (1.0, 3.0):
            accuracy = metrics.conditional_accuracy(
                lambda label, k: sample(model, k, generator=generator, label=label, steps=steps, guidance=scale).cpu(),
                dataset, per_class=50)
            if accuracy is not None:  # None: no reference classifier for this data
                out[f"label_accuracy_guidance_{scale:g}"] = accuracy
    return out

