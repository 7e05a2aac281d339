"""The numbers a lesson asks a learner to predict before it reveals them, measured on the shipped models and data
(never typed in): how many latent dimensions a VAE uses, how many digit classes a GAN draws, how much signal a noise
schedule keeps, how often guidance hits its class, who wins with few training examples.

Each returns a small dict with `value` (what is compared with the guess), `text` (how the lesson says it) and the
figures behind it. All are seeded, so a class sees the same numbers as the teacher did when preparing.
"""
from __future__ import annotations

import numpy as np
import torch

from gen_core import metrics
from gen_core.labs import classifiers as classifier_lab
from gen_core.labs import diffusion as diffusion_lab
from gen_core.core import InferenceCore
from gen_core.data import load_card_dataset
from gen_core.models import vae

ACTIVE_KL = 0.01  # nats: a latent dimension whose mean KL is below this carries no information (posterior collapse)


def active_dimensions(core: InferenceCore, name: str) -> dict:
    """Latent dimensions whose KL(q(z_d | x) || N(0, 1)), averaged over the test set, exceeds ACTIVE_KL."""
    codes = core.run(name, lambda m: vae.encode_dataset(m.model, m.card["dataset"]["name"]))
    kl = np.asarray(codes["kl_per_dim"]).mean(0)
    active = int((kl > ACTIVE_KL).sum())
    return {"value": active, "of": len(kl), "kl_per_dim": kl,
            "text": f"{active} of {len(kl)} dimensions are active (mean KL above {ACTIVE_KL} nats)"}


def reconstruction_error(core: InferenceCore, name: str) -> dict:
    """The mean -log p(x | z) on the test set, in nats per image: lower is a sharper reconstruction."""
    codes = core.run(name, lambda m: vae.encode_dataset(m.model, m.card["dataset"]["name"]))
    value = float(np.asarray(codes["recon_nll"]).mean())
    return {"value": value, "text": f"{value:.1f} nats per image"}


def sharper_reconstruction(core: InferenceCore, names: tuple[str, ...]) -> dict:
    """Which of these VAEs reconstructs the test set with the lowest -log p(x | z), each measured once."""
    errors = {name: reconstruction_error(core, name) for name in names}
    best = min(errors, key=lambda name: errors[name]["value"])
    return {"value": best, "errors": {n: e["value"] for n, e in errors.items()},
            "text": "reconstruction error: " + ", ".join(f"{n} {e['text']}" for n, e in errors.items())}


def classes_drawn(core: InferenceCore, name: str, n: int = 1000, seed: int = 0) -> dict:
    """How many classes a GAN's samples cover, as a reference classifier trained on real images reads them (a class
    counts when it gets at least half its fair share). 1000 samples, seed 0: what GAN Studio's Mode collapse tab
    draws by default."""
    loaded = core.load(name)
    dataset = load_card_dataset(loaded.card["dataset"]["name"])
    found = metrics.class_metrics(dataset, core.sample(name, n, seed=seed))
    if not found:
        raise ValueError(f"{name}'s data has no reference classifier")
    return {"value": found["classes_covered"], "of": dataset.num_classes, "histogram": found["class_histogram"],
            "text": f"{found['classes_covered']} of {dataset.num_classes} classes in {n} samples"}


def synthetic_data_verdict(core: InferenceCore, name: str, real_per_class: int = 10) -> dict:
    """Does adding a conditional GAN's samples to `real_per_class` real digits per class raise a classifier's test
    accuracy by more than the spread over seeds, lower it, or neither? (GAN Studio's Synthetic data tab.)"""
    from gen_core.labs import uses
    found = uses.figures(core, "synthetic_training_data", name)
    k = found["real_per_class"].index(real_per_class)
    (real, real_sd), (mixed, mixed_sd) = found["rows"]["real"][k], found["rows"]["real + synthetic"][k]
    spread = max(real_sd, mixed_sd)
    verdict = ("it helps" if mixed - real > spread else "it hurts" if real - mixed > spread else "no clear change")
    return {"value": verdict, "text": f"{real:.1%} ± {real_sd:.1%} with {real_per_class} real digits per class, "
                                      f"{mixed:.1%} ± {mixed_sd:.1%} with the GAN's samples added"}


RECOVERED = (("still under 50%", 0.0, 0.5), ("50% to 90%", 0.5, 0.9), ("above 90%", 0.9, 1.01))


def adaptation_recovery(core: InferenceCore, translator: str) -> dict:
    """A digit classifier's accuracy on the new domain once the CycleGAN `translator` has carried it back to digits
    (GAN Studio's Domain adaptation tab), bucketed."""
    from gen_core.labs import uses
    found = uses.figures(core, "domain_adaptation", translator)
    after = found["source_on_translated"]
    return {"value": next(label for label, low, high in RECOVERED if low <= after < high), "after": after,
            "text": f"{found['source_on_target']:.1%} on the {found['transform']} digits as they are, {after:.1%} "
                    f"after translation, {found['target_on_target']:.1%} for a classifier trained on the new domain"}


SMALL_DATA = (("about as good (under 1.2 times)", 0.0, 1.2), ("1.2 to 2 times worse", 1.2, 2.0),
              ("more than 2 times worse", 2.0, 1e9))


def small_data_cost(core: InferenceCore, small: str, full: str) -> dict:
    """How many times the Fréchet distance to the test digits grows when the same GAN trains on fewer images
    (GAN Studio's Dataset size tab), bucketed."""
    from gen_core.labs import uses
    found = uses.figures(core, "dataset_size", *(n for names in uses.DATASET_SIZE_MODELS.values() for n in names))
    rows = {r["checkpoint"]: r for r in found["rows"]}
    ratio = rows[small]["fd"] / rows[full]["fd"]
    return {"value": next(label for label, low, high in SMALL_DATA if low <= ratio < high), "ratio": ratio,
            "text": f"Fréchet distance {rows[small]['fd']:.2f} from {rows[small]['train_images']} training digits "
                    f"against {rows[full]['fd']:.2f} from {rows[full]['train_images']} ({ratio:.2f} times); "
                    f"copies of a training digit: {rows[small]['memorised']:.1%} against {rows[full]['memorised']:.1%}"}


def probe_winner(core: InferenceCore, gan: str, vae_name: str, labels_per_class: int = 5) -> dict:
    """Which features a linear classifier reads best with few labels: raw pixels, the GAN discriminator's or the
    VAE encoder's (GAN Studio's Features tab)."""
    from gen_core.labs import uses
    found = uses.figures(core, "linear_probe", gan, vae_name)
    k = found["labels_per_class"].index(labels_per_class)
    scores = {name: rows[k][0] for name, rows in found["rows"].items()}
    best = max(scores, key=scores.get)
    return {"value": best, "text": ", ".join(f"{name} {acc:.1%}" for name, acc in scores.items())
            + f" with {labels_per_class} labelled digits per class"}


def signal_kept(T: int, t: int) -> dict:
    """sqrt(abar_t) under the linear and the cosine schedule: the share of x0 left in x_t (Ho et al., 2020, eq. 4)."""
    views = diffusion_lab.forward_views(torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 1, 1), T, t, strip_frames=2)
    kept = {name: view["a"] for name, view in views.items()}
    more = max(kept, key=kept.get)
    return {"value": more, "kept": kept,
            "text": f"at t = {t}: linear keeps {kept['linear']:.3f} of x0, cosine {kept['cosine']:.3f}"}


def guided_hits(core: InferenceCore, name: str, label: int, scale: float, n: int = 8, seed: int = 0) -> dict:
    """The share of n class-`label` samples at guidance scale `scale` that a classifier trained on real data
    recognises as that class (DDIM, GUIDANCE_STEPS steps, as the Guidance tab draws them by default)."""
    dataset = load_card_dataset(core.load(name).card["dataset"]["name"])
    found = diffusion_lab.guidance_grid(core, name, dataset, label, (scale,), n, seed,
                                       diffusion_lab.GUIDANCE_STEPS)
    hits = float(found["hits"][0])
    return {"value": round(hits * n), "of": n, "text": f"{round(hits * n)} of {n} samples read as class {label}"}


def ddim_calls(T: int, steps: int) -> dict:
    """Network calls: DDPM runs the network at each of the T steps, DDIM at each of its `steps`."""
    return {"value": T // steps, "text": f"DDPM calls the network {T} times, DDIM {steps}: {T // steps}x fewer"}


def few_examples_winner(dataset_name: str, n_train: int, seed: int = 0, resamples: int = 10,
                        task: tuple | None = None) -> dict:
    """Naive Bayes against logistic regression (unpenalised on the synthetic task, as Ng and Jordan compared them)
    at n_train examples of the learning curve the Generative vs Discriminative page draws (the same sizes, subsets
    and seed): mean test accuracy over the resamples. `task`: the synthetic task's (features, separation,
    correlation)."""
    X_train, y_train, X_test, y_test = classifier_lab_data(dataset_name, task)
    names = ("Naive Bayes", "Logistic regression (no penalty)" if task else "Logistic regression")
    sizes = classifier_lab.curve_sizes(len(X_train), len(np.unique(y_train)))
    if n_train not in sizes:
        raise ValueError(f"{n_train} is not a size of this learning curve ({sizes})")
    found = classifier_lab.learning_curves(names, X_train, y_train, X_test, y_test, sizes, resamples, seed)
    accuracy = {name: float(found[name][:, sizes.index(n_train)].mean()) for name in names}
    winner = max(accuracy, key=accuracy.get)
    return {"value": winner, "accuracy": accuracy,
            "text": f"with {n_train} examples: " + ", ".join(f"{n} {a:.1%}" for n, a in accuracy.items())}


def missing_winner(dataset_name: str, hidden: float = 0.5, seed: int = 0) -> dict:
    """LDA (a Gaussian generative model: it integrates the hidden features out) against logistic regression (fed
    training means for them), with `hidden` of each test input's features hidden."""
    X_train, y_train, X_test, y_test = classifier_lab_data(dataset_name)
    names = ("LDA", "Logistic regression")
    found = classifier_lab.missing_features(names, X_train, y_train, X_test, y_test, (0.0, hidden), seed)
    accuracy = {name: float(found[name][-1]) for name in names}
    winner = max(accuracy, key=accuracy.get)
    return {"value": winner, "accuracy": accuracy,
            "text": f"with {hidden:.0%} hidden: LDA {accuracy['LDA']:.1%}, logistic regression "
                    f"{accuracy['Logistic regression']:.1%}"}


def classifier_lab_data(dataset_name: str, task: tuple | None = None):
    """A dataset as the Generative vs Discriminative page prepares it (classifier_lab.load_task)."""
    X_train, y_train, X_test, y_test, _, _ = classifier_lab.load_task(dataset_name, *(task or ()))
    return X_train, y_train, X_test, y_test


def blind_spot(core: InferenceCore, name: str, row: int, col: int) -> dict:
    """How many earlier pixels (raster order) a plain stack of 3x3 masked convolutions as deep as the PixelCNN
    `name` never reaches from pixel (row, col): its blind spot, found by gradients."""
    from gen_core.labs import likelihood as likelihood_lab

    fields = likelihood_lab.receptive_fields(core, name, row, col)
    width = fields["plain"].shape[1]
    earlier = row * width + col
    missed = int((~fields["plain"]).reshape(-1)[:earlier].sum())
    return {"value": missed, "of": earlier,
            "text": f"a plain masked stack misses {missed} of the {earlier} earlier pixels from ({row}, {col})"}


ORDER_COST = (("the ARDM (any order) is lower", -1e9, -1.0), ("within 1 nat of each other", -1.0, 1.0),
              ("PixelCNN (one order) is lower", 1.0, 1e9))


def order_cost(core: InferenceCore, name: str, judge: str) -> dict:
    """The order-agnostic ARDM's bound against PixelCNN's exact -log p on the binarised test digits, nats per image
    (gen_core.labs.likelihood.order_bounds): what learning every order at once costs against one fixed order."""
    from gen_core.data import load_dataset
    from gen_core.labs import likelihood as likelihood_lab

    bounds = likelihood_lab.order_bounds(core, name, judge, load_dataset("digits-binary"))
    gap = bounds["random"] - bounds["pixelcnn"]
    value = next(label for label, low, high in ORDER_COST if low <= gap < high)
    return {"value": value, "gap": gap, **bounds,
            "text": f"{name}, any order: {bounds['random']:.2f} nats per digit (a bound); {judge}, raster order: "
                    f"{bounds['pixelcnn']:.2f} (exact); the ARDM in raster order: {bounds['raster']:.2f}"}


def few_series_winner(dataset_name: str, per_class: int, seed: int = 0) -> dict:
    """With `per_class` training series of each class: the more accurate of HMMs per class and logistic regression
    on the test series (gen_core/labs/sequences.py)."""
    from gen_core.labs import sequences as sequence_lab

    curve = sequence_lab.learning_curve(load_card_dataset(dataset_name), sizes=(per_class,), seed=seed)
    hmm, logistic = curve["hmm"][0], curve["logistic"][0]
    winner = "HMMs per class" if hmm > logistic else "Logistic regression" if logistic > hmm else "the same"
    return {"value": winner, "text": f"with {per_class} series per class: HMMs {hmm:.0%}, logistic regression "
                                     f"{logistic:.0%}"}


def most_likely_model(core: InferenceCore, names: tuple[str, ...]) -> dict:
    """Of the likelihood table's rows for `names`, the family whose number (-log P of the binarised test digits,
    exact or a bound) is lowest."""
    from gen_core import likelihood

    rows = likelihood.cached_table(core, names)
    best = min(rows, key=lambda r: r.nats)
    return {"value": best.family, "text": f"{best.model} ({best.kind}): {best.nats:.2f} nats per digit; "
                                          + ", ".join(f"{r.model} {r.nats:.2f}" for r in rows if r is not best)}
