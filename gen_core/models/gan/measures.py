"""What a GAN checkpoint's card records (`evaluate`): D's opinion of real and generated data, memorisation, the
classes a reference classifier reads; and the two variant measures kept with the model because training writes
them into the card: BigGAN's truncation curve (fidelity against variety) and StyleGAN's mixing agreement (does the
class follow the coarse styles?). GAN Studio's tabs show them (gen_core/labs/gan.py)."""
from __future__ import annotations

from dataclasses import dataclass

import torch

from gen_core import metrics
from gen_core.device import make_generator
from gen_core.models.gan.latents import draw_labels, draw_latents, has_truncation_curve, sample, truncated_latents
from gen_core.models.gan.networks import GAN

# --- StyleGAN: style mixing -------------------------------------------------------------------------------------

def _styles(model: GAN, z: torch.Tensor, truncation: float = 1.0) -> torch.Tensor:
    generator = model.generator
    w = generator.truncate(generator.map(z.to(generator.constant.device)), truncation)
    return w[:, None].repeat(1, generator.num_styles, 1)


@torch.no_grad()
def style_mix(model: GAN, z_coarse: torch.Tensor, z_fine: torch.Tensor, crossover: int | None = None,
              truncation: float = 1.0) -> torch.Tensor:
    """Images whose first `crossover` styles (the coarse layers by default) come from z_coarse and the rest from
    z_fine, pair by pair (both (B, z_dim)); fixed noise, so only the styles differ. (B, C, H, W) on the CPU."""
    generator = model.generator
    crossover = generator.coarse_styles if crossover is None else crossover
    if not 0 <= crossover <= generator.num_styles:
        raise ValueError(f"crossover must be in 0..{generator.num_styles}, got {crossover}")
    coarse, fine = _styles(model, z_coarse, truncation), _styles(model, z_fine, truncation)
    styles = torch.cat([coarse[:, :crossover], fine[:, crossover:]], 1)
    return generator.synthesise(styles, generator.draw_noises(len(styles), None)).float().cpu()


MIXING_PAIRS = 1000  # pairs mixed to measure it: 500 left the share wandering by +-3 points between seeds


@dataclass(frozen=True)
class MixingAgreement:
    follows_coarse: float   # share of mixes the reference classifier reads as the coarse source's class
    follows_fine: float     # ... as the fine source's class
    pairs: int              # pairs whose two sources the classifier reads as different classes


@torch.no_grad()
def mixing_agreement(model: GAN, dataset, n: int, generator: torch.Generator,
                     crossover: int | None = None) -> MixingAgreement | None:
    """Mix n random pairs; among the pairs whose sources differ in class (by the reference classifier), how often
    the mix takes the coarse source's class and how often the fine one's. None without a reference classifier."""
    if metrics.reference_classifier(dataset) is None:
        return None
    z_a = draw_latents(model, n, generator)
    z_b = draw_latents(model, n, generator)
    class_a = metrics.predict_classes(dataset, style_mix(model, z_a, z_a))
    class_b = metrics.predict_classes(dataset, style_mix(model, z_b, z_b))
    mixed = metrics.predict_classes(dataset, style_mix(model, z_a, z_b, crossover))
    differ = class_a != class_b
    count = int(differ.sum())
    if count == 0:
        return MixingAgreement(float("nan"), float("nan"), 0)
    return MixingAgreement(float((mixed[differ] == class_a[differ]).mean()),
                           float((mixed[differ] == class_b[differ]).mean()), count)



# --- BigGAN: the truncation trick -------------------------------------------------------------------------------

TRUNCATION_THRESHOLDS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0)


@torch.no_grad()
def truncation_curve(model: GAN, dataset, thresholds=TRUNCATION_THRESHOLDS, per_class: int = 100,
                     seed: int = 0) -> list[dict]:
    """For each truncation threshold, `per_class` samples of every class from the same uniforms (so only the
    threshold differs), scored for
      fidelity: the share the reference classifier reads as the class asked for, and k-NN precision;
      variety: k-NN recall, and the spread within a class (the pixel standard deviation over a class's samples,
      averaged over pixels and classes).
    Precision and recall (Kynkäänniemi et al., 2019, k = 5) compare the samples' features (the reference MLP's
    hidden layer) with the training images'. A threshold of 4 is practically no truncation."""
    from gen_core.mode_metrics import knn_radii, precision_recall

    k = model.config.num_classes
    if not k:
        raise ValueError("the truncation curve compares classes: it needs a class-conditional GAN")
    labels = torch.arange(k).repeat_interleave(per_class).to(next(model.parameters()).device)
    real = metrics.reference_features(dataset, dataset.x_train.numpy())
    real_radii = knn_radii(real, 5)
    rows = []
    for threshold in thresholds:
        generator = make_generator(seed)
        z = truncated_latents(model, len(labels), float(threshold), generator)
        x = model.generate(z, labels).float().cpu()
        predicted = metrics.predict_classes(dataset, x)
        features = metrics.reference_features(dataset, x.numpy())
        scores = precision_recall(features, real, k=5, real_radii=real_radii)
        spread = float(x.view(k, per_class, -1).std(1).mean())
        rows.append({"threshold": float(threshold),
                     "label_accuracy": float((predicted == labels.cpu().numpy()).mean()),
                     "precision": scores["precision"], "recall": scores["recall"], "spread": spread})
    return rows


# --- the card's metrics -----------------------------------------------------------------------------------------

@torch.no_grad()
def evaluate(model: GAN, dataset, generator: torch.Generator) -> dict:
    """D's mean opinion of held-out real data and of fresh samples, and how far samples lie from their nearest
    training example compared with held-out real data (a memorisation check); class metrics where a reference
    classifier exists."""

    model.eval()
    device = next(model.parameters()).device
    n = min(1000, len(dataset.x_test))
    fake = sample(model, n, generator=generator).float()
    real = dataset.x_test[:n].to(device)
    real_labels = dataset.y_test[:n].to(device) if model.config.num_classes else None
    real_logits, _ = model.discriminate(real, real_labels)
    fake_logits, _ = model.discriminate(fake, draw_labels(model, n, generator))
    out = {"d_real_test": float(torch.sigmoid(real_logits).mean()),
           "d_fake": float(torch.sigmoid(fake_logits).mean()),
           "nn_distance_samples": float(metrics.nearest_neighbours(fake.cpu(), dataset.x_train)[1].median()),
           "nn_distance_test": float(metrics.nearest_neighbours(dataset.x_test[:n], dataset.x_train)[1].median())}
    out.update(metrics.class_metrics(dataset, fake.cpu()))
    if not model.config.is_image:
        from gen_core.mode_metrics import point_metrics
        out.update(point_metrics(sample(model, 2500, generator=generator).cpu(), dataset))
    if model.config.num_classes:
        accuracy = metrics.conditional_accuracy(lambda label, k: sample(model, k, generator=generator, label=label),
                                                dataset)
        if accuracy is not None:  # None: no reference classifier for this data
            out["label_accuracy"] = accuracy
    if has_truncation_curve(model) and metrics.reference_classifier(dataset) is not None:
        rows = truncation_curve(model, dataset)
        out["truncation_curve"] = {key: [row[key] for row in rows] for key in rows[0]}
    if model.truncates_in_w:  # StyleGAN: does the class follow the coarse styles when two samples are mixed?
        agreement = mixing_agreement(model, dataset, MIXING_PAIRS, generator)
        if agreement is not None:
            out.update(mixing_follows_coarse=agreement.follows_coarse, mixing_follows_fine=agreement.follows_fine)
    return out

