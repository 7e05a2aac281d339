"""`python -m gen_core.evaluate CHECKPOINT [CHECKPOINT ...]`: judge image models on the same real test data.

For each checkpoint it draws samples and measures, against the real data its card names:

- **Fréchet distance** (FD) between Gaussians fitted to reference features of real test images and of samples,
  ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2)) (Heusel et al., 2017, eq. 6: FID with a small feature
  network instead of Inception). The features are the hidden layer of an MLP classifier fitted on the real
  training images (digits: 98% test accuracy, shapes: 97%). Beside it, the **floor**: the FD between as many
  real training images and the test images, which no model can beat by much at that sample size.
- **Precision and recall** with k-NN manifolds in the same features (Kynkäänniemi et al., 2019): the share of
  samples inside the real manifold (fidelity), and of real images inside the generated one (variety); and beside
  them **density and coverage** (Naeem et al., 2020), which count only the real points' balls, so outliers cannot
  inflate them (k-NN recall gives a generator of pure noise 1.00; its coverage is near 0).
- **Class coverage**: classes the reference classifier finds in the samples (mode collapse shows here).
- **Memorisation**: the share of samples closer (in pixels) to their nearest training image than the closest 1%
  of held-out real images are to theirs; held-out data scores 1% by construction, copies of training images 100%.
- **Likelihood** where the model has one: a VAE's test ELBO and its 64-sample importance-weighted bound (both
  lower bounds on log p(x); the IWAE one tighter), in nats per image, and the ELBO in bits per dimension. The
  decoder is a Bernoulli on grey levels in [0, 1]: a bound on that cross-entropy, not a density of grey images.
- **Sampling time** per 100 samples on this machine.
- **Train on generated**: the syllabus's first promise, generated data as training data. An MLP classifier
  trained on generated samples (labelled by the class asked for when the model is conditional, else by the
  reference classifier) and tested on the real test set, against the same classifier trained on as many real
  training images.

Diffusion models are sampled with DDIM in 50 steps (stated in the table) to keep the evaluation affordable.
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from dataclasses import dataclass

import numpy as np
import torch

from gen_core import checkpoints, cli, metrics
from gen_core.metrics import reference_features  # noqa: F401 - the features every measure here is taken in
from gen_core.core import InferenceCore
from gen_core.device import make_generator
from gen_core.errors import GenLabError
from gen_core.models import SAMPLER_OPTION_FAMILIES

TRAIN_ON_GENERATED = 10_000  # the figure: a classifier trained on 10,000 generated samples
METRIC_SAMPLES = 2000        # samples for FD, precision/recall, coverage and memorisation
DIFFUSION_STEPS = 50         # DDIM steps for diffusion models
MEMORISED_QUANTILE = 0.01    # the closest 1% of held-out images define "too close to a training image"


# --- the measures, each a function of arrays (tested on known answers) --------------------------------------

def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to the rows of a and b (N, D). Tr((S_a S_b)^(1/2)) is the sum
    of the square roots of the eigenvalues of S_a S_b, which are real and non-negative for covariances (a product
    of two positive semi-definite matrices is similar to one); rounding can leave tiny negative or imaginary
    parts, clipped here, so singular covariances (dead ReLU features) need no special case."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    eigenvalues = np.linalg.eigvals(cov_a @ cov_b).real.clip(min=0)
    distance = ((mu_a - mu_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.sqrt(eigenvalues).sum()
    return float(max(distance, 0.0))


def precision_recall(samples: np.ndarray, real: np.ndarray, k: int = 5) -> dict:
    """k-NN precision and recall, and beside them density and coverage (gen_core/mode_metrics.py), on the same
    real k-NN radii."""
    from gen_core.mode_metrics import density_coverage, knn_radii
    from gen_core.mode_metrics import precision_recall as knn_precision_recall
    radii = knn_radii(real, k)
    return {**knn_precision_recall(samples, real, k=k, real_radii=radii),
            **density_coverage(samples, real, k=k, real_radii=radii)}


def memorisation_rate(samples: np.ndarray, train: np.ndarray, held_out: np.ndarray,
                      quantile: float = MEMORISED_QUANTILE) -> dict:
    """Share of samples nearer to a training image than the `quantile` of held-out real images are."""
    _, held_out_distance = metrics.nearest_neighbours(torch.from_numpy(held_out), torch.from_numpy(train))
    threshold = float(np.quantile(held_out_distance.numpy(), quantile))
    _, distance = metrics.nearest_neighbours(torch.from_numpy(samples), torch.from_numpy(train))
    return {"memorised": float((distance.numpy() < threshold).mean()), "memorised_threshold": threshold}


def train_on_generated(x_generated: np.ndarray, y_generated: np.ndarray, x_real: np.ndarray, y_real: np.ndarray,
                       x_test: np.ndarray, y_test: np.ndarray, seed: int = 0) -> dict:
    """Test accuracy of one classifier trained on generated data and of the same one trained on real data. The
    classifier is the reference network's architecture (an MLP with 128 hidden units, 100 epochs of Adam): strong
    enough to learn the shapes set (97% from real images, where a logistic regression reaches 49%)."""
    from sklearn.neural_network import MLPClassifier

    def accuracy(x, y):
        if len(np.unique(y)) < 2:
            return 1.0 / max(1, len(np.unique(y_test)))  # one class: it can only answer that class
        model = MLPClassifier((128,), max_iter=100, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # 100 epochs reach the accuracy; convergence is not the point
            model.fit(x, y)
        return float(model.score(x_test, y_test))
    return {"accuracy_trained_on_generated": accuracy(x_generated, y_generated),
            "accuracy_trained_on_real": accuracy(x_real, y_real)}


# --- one checkpoint ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Settings:
    metric_samples: int = METRIC_SAMPLES
    train_samples: int = TRAIN_ON_GENERATED
    seed: int = 0

    def __post_init__(self):
        if not 10 <= self.metric_samples <= 50_000:
            raise GenLabError(f"--samples must be between 10 and 50000, got {self.metric_samples}")
        if not 0 <= self.train_samples <= 100_000:
            raise GenLabError(f"--train-samples must be between 0 and 100000, got {self.train_samples}")


def sampling_options(card: dict) -> dict:
    """Diffusion models sample with DDIM in DIFFUSION_STEPS steps; other families need no options."""
    return {"sampler": "ddim", "steps": DIFFUSION_STEPS} if card["family"] in SAMPLER_OPTION_FAMILIES else {}


def draw(core: InferenceCore, name: str, n: int, seed: int, conditional: bool, classes: int,
         guidance: float | None = None):
    """n samples and their labels (the classes asked for, balanced, when conditional; else None), and seconds.
    `guidance` is a diffusion model's classifier-free guidance scale for conditional samples (default 1)."""
    card = core.load(name).card
    options = sampling_options(card)
    if guidance is not None and options:
        options["guidance"] = float(guidance)
    started = time.perf_counter()
    if conditional:
        per_class = -(-n // classes)
        parts = [core.sample(name, per_class, seed=seed + label, label=label, **options) for label in range(classes)]
        x = torch.cat(parts)[:n]
        y = np.repeat(np.arange(classes), per_class)[:n]
    else:
        x, y = core.sample(name, n, seed=seed, **options), None
    return x.numpy(), y, time.perf_counter() - started


def evaluate(core: InferenceCore, name: str, settings: Settings = Settings(), progress=None,
             data_root: str | None = None) -> dict:
    """Every measure above for one image checkpoint (a dict of plain numbers and strings). `data_root` is where the
    card's MNIST / Fashion-MNIST files are, as `train --data-root` took them (default: where GenLab looks)."""
    from gen_core.data import limited, load_card_dataset, load_dataset

    say = progress or (lambda message: None)
    loaded = core.load(name)
    card = loaded.card
    if not loaded.is_image:
        raise GenLabError(f"{loaded.name} is a 2-D model; evaluate compares image models (the Playground scores "
                          f"2-D ones)")
    if card["family"] == "cyclegan":
        raise GenLabError(f"{loaded.name} translates images rather than sampling them; nothing to evaluate")
    dataset = load_dataset(card["dataset"]["name"], data_root) if data_root else \
        load_card_dataset(card["dataset"]["name"])
    if len(dataset.x_train) == 0:
        raise GenLabError(f"{loaded.name}: {dataset.description}; evaluate needs the training images too")
    if card.get("train_limit"):  # memorised means near one of the images it was trained on, and only those
        dataset = limited(dataset, int(card["train_limit"]))
    classes = dataset.num_classes or 0
    conditional = bool(card["config"].get("num_classes"))
    train = dataset.x_train.flatten(1).numpy()
    test = dataset.x_test.flatten(1).numpy()
    n = settings.metric_samples
    out = {"checkpoint": loaded.name, "family": card["family"], "dataset": dataset.name,
           "sampler": f"DDIM {DIFFUSION_STEPS} steps" if sampling_options(card) else "one pass"}

    say(f"{loaded.name}: drawing {n} samples")
    samples, _, seconds = draw(core, name, n, settings.seed, False, classes)
    samples = samples.reshape(len(samples), -1)
    out["seconds_per_100_samples"] = seconds / n * 100
    if not np.isfinite(samples).all():
        out["error"] = "the samples contain NaN or infinite values"
        return out

    say(f"{loaded.name}: Fréchet distance, precision and recall")
    real = test[:n]
    classifiable = dataset.name in metrics.CLASSIFIABLE  # else compare pixels: no reference network for the data
    features = (lambda x: reference_features(dataset, x)) if classifiable else (lambda x: x)
    features_real, features_fake, features_floor = features(real), features(samples), features(train[:len(real)])
    out["features"] = ("reference CNN (128)" if dataset.name not in metrics.FITTED_HERE else "reference MLP (128)") \
        if classifiable else "pixels"
    out["fd"] = frechet_distance(features_real, features_fake)
    out["fd_floor"] = frechet_distance(features_real, features_floor)
    out.update(precision_recall(features_fake, features_real))
    judge = None if classifiable else metrics.fitted_classifier(dataset)  # classes wherever the data has labels
    out.update({k: v for k, v in metrics.class_metrics(dataset, torch.from_numpy(samples).reshape(-1, *dataset.shape),
                                                       judge).items()
                if k in ("classes_covered", "class_kl_from_uniform", "class_histogram")})
    say(f"{loaded.name}: memorisation")
    out.update(memorisation_rate(samples, train, test))

    if card["family"] == "vae":
        say(f"{loaded.name}: test ELBO")
        found = core.run(name, lambda m: m.family.evaluate(m.model, dataset, make_generator(settings.seed, core.device)))
        dims = int(np.prod(dataset.shape))
        out["likelihood"] = "ELBO and a 64-sample importance-weighted bound (both lower bounds)"
        out["nll_nats"] = -found["test_elbo"]
        out["bits_per_dim"] = -found["test_elbo"] / (dims * np.log(2))
        from gen_core.models.vae import importance_weighted_nll
        test_images = dataset.x_test[:500].to(core.device)
        out["nll_iwae_nats"] = float(core.run(name, lambda m: importance_weighted_nll(
            m.model, test_images, 64, make_generator(settings.seed, core.device))).mean())

    if settings.train_samples and classes:
        say(f"{loaded.name}: {settings.train_samples} samples to train a classifier on")
        x_gen, y_gen, _ = draw(core, name, settings.train_samples, settings.seed + 1, conditional, classes)
        x_gen = x_gen.reshape(len(x_gen), -1)
        if y_gen is None:
            y_gen = metrics.predict_classes(dataset, torch.from_numpy(x_gen).reshape(-1, *dataset.shape))
        if y_gen is not None:
            out["labels"] = "asked for" if conditional else "reference classifier"
            size = min(len(x_gen), len(train))
            out.update(train_on_generated(x_gen, y_gen, train[:size], dataset.y_train.numpy()[:size], test,
                                          dataset.y_test.numpy(), settings.seed))
            out["train_samples"] = len(x_gen)
    return out


# --- class fidelity: the bars on real data ----------------------------------------------------------

CLASS_SHARE_BAND = (0.05, 0.15)  # an unconditional model's samples: every class between 5% and 15% of them
RECALL_TOLERANCE = 0.05          # a conditional model: within 5 points of the reference's recall, per class


def class_report(core: InferenceCore, name: str, n: int = 1000, seed: int = 0,
                 guidance: float | None = None) -> dict | None:
    """How the reference network reads n samples of a model, against how it reads the real test images.

    Conditional models: for each class, the share of its n / K samples read as the class asked for, beside the
    reference classifier's recall on real test images of that class (the best a perfect generator could score).
    Unconditional models: the share of the n samples read as each class (a uniform data set gives 1/K each).
    None for data without a reference network."""
    from gen_core.data import load_card_dataset

    card = core.load(name).card
    dataset = load_card_dataset(card["dataset"]["name"])
    judge = metrics.reference_classifier(dataset)
    if judge is None:
        return None
    k = dataset.num_classes
    known = getattr(judge, "card", {})  # a shipped reference network states its own test figures
    if "per_class_recall" in known:
        accuracy, recall = known["test_accuracy"], list(known["per_class_recall"])
    else:
        truth = dataset.y_test.numpy()
        real = judge.predict(dataset.x_test.flatten(1).numpy())
        accuracy, recall = float((real == truth).mean()), [float((real[truth == c] == c).mean()) for c in range(k)]
    conditional = bool(card["config"].get("num_classes"))
    x, asked, _ = draw(core, name, n, seed, conditional, k, guidance if conditional else None)
    read = judge.predict(np.clip(x.reshape(len(x), -1), -1, 1))
    out = {"checkpoint": name + (f" (guidance {guidance:g})" if guidance is not None and conditional else ""),
           "dataset": dataset.name, "class_names": list(dataset.class_names),
           "reference_accuracy": accuracy, "reference_recall": recall, "samples": len(x),
           "conditional": conditional}
    if conditional:
        shares = [float((read[asked == c] == c).mean()) for c in range(k)]
        out["share_read_as_asked"] = shares
        out["within_tolerance"] = [bool(share >= r - RECALL_TOLERANCE) for share, r in zip(shares, recall)]
    else:
        shares = np.bincount(read, minlength=k) / len(read)
        out["class_shares"] = [float(v) for v in shares]
        out["within_band"] = [bool(CLASS_SHARE_BAND[0] <= v <= CLASS_SHARE_BAND[1]) for v in shares]
    return out


def class_report_text(report: dict) -> str:
    """The report as lines: one per class, the measured share beside its bar."""
    names = report["class_names"]
    lines = [f"{report['checkpoint']} ({report['samples']} samples; reference test accuracy "
             f"{report['reference_accuracy']:.3f})"]
    if report["conditional"]:
        lines.append("  class            read as asked   reference recall   within 5 points")
        for c, name in enumerate(names):
            lines.append(f"  {name:<16} {report['share_read_as_asked'][c]:>13.3f}   {report['reference_recall'][c]:>16.3f}"
                         f"   {'yes' if report['within_tolerance'][c] else 'NO'}")
    else:
        lines.append("  class            share of samples   within 5-15%")
        for c, name in enumerate(names):
            lines.append(f"  {name:<16} {report['class_shares'][c]:>16.3f}   "
                         f"{'yes' if report['within_band'][c] else 'NO'}")
    return "\n".join(lines)


# --- the table -----------------------------------------------------------------------------------------------

COLUMNS = [("checkpoint", "checkpoint", "{}"), ("fd", "FD", "{:.2f}"), ("fd_floor", "floor", "{:.2f}"),
           ("precision", "precision", "{:.2f}"), ("recall", "recall", "{:.2f}"), ("density", "density", "{:.2f}"),
           ("coverage", "coverage", "{:.2f}"), ("dataset", "data", "{}"),
           ("classes_covered", "classes", "{}"), ("memorised", "memorised", "{:.1%}"),
           ("nll_nats", "-ELBO nats", "{:.1f}"), ("nll_iwae_nats", "-IWAE nats", "{:.1f}"),
           ("bits_per_dim", "bits/dim", "{:.3f}"),
           ("seconds_per_100_samples", "s/100", "{:.3f}"),
           ("accuracy_trained_on_generated", "acc gen", "{:.3f}"), ("accuracy_trained_on_real", "acc real", "{:.3f}")]


def table(rows: list[dict]) -> str:
    """A fixed-width text table of evaluate() results; a blank cell where a model has no such measure."""
    cells = [[label for _, label, _ in COLUMNS]]
    for row in rows:
        cells.append([fmt.format(row[key]) if row.get(key) is not None else "" for key, _, fmt in COLUMNS])
    widths = [max(len(r[i]) for r in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
             for r in cells]
    notes = sorted({f"{r['checkpoint']}: {r['error']}" for r in rows if r.get("error")})
    return "\n".join(lines + notes)


def trained_on(names: list[str]) -> dict[str, list[str]]:
    """{dataset name: the checkpoints trained on it}, from their cards (names that do not resolve are left to
    evaluate() to report)."""
    groups: dict[str, list[str]] = {}
    for name in names:
        try:
            card = checkpoints.read_card(checkpoints.resolve(name))
        except GenLabError:
            continue
        groups.setdefault(card["dataset"]["name"], []).append(name)
    return groups


def refuse_mixed_data(names: list[str]) -> None:
    """One comparison is on one data set: FD, precision and recall of a digits model and a Fashion-MNIST model are
    taken in different reference features against different test images, so their numbers do not compare."""
    groups = trained_on(names)
    if len(groups) > 1:
        listed = "; ".join(f"{data}: {', '.join(group)}" for data, group in groups.items())
        raise GenLabError(f"these checkpoints were trained on different data ({listed}); their scores do not "
                          f"compare: evaluate one data set at a time")


def tables_by_dataset(rows: list[dict]) -> str:
    """One table per data set, each headed by the test images it was scored on."""
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row.get("dataset", "?"), []).append(row)
    return "\n\n".join(f"scored on the test images of {data}:\n{table(group)}" for data, group in groups.items())


def is_evaluable(card: dict) -> bool:
    """Whether evaluate() accepts a checkpoint: an image model that samples (no CycleGAN translators, no
    super-resolution stages: both transform an input image rather than sample)."""
    return card.get("dataset", {}).get("kind", "image") == "image" and card.get("family") not in ("cyclegan", "srdiff")


def image_checkpoints() -> list[str]:
    """Every listed checkpoint evaluate() accepts."""
    out = []
    for info in checkpoints.list_checkpoints():
        try:
            card = checkpoints.read_card(info.path)
        except GenLabError:
            continue
        if is_evaluable(card):
            out.append(info.name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=cli.program("gen_core.evaluate"), description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoints", nargs="*", help="names or folders (default: every image checkpoint)")
    parser.add_argument("--samples", type=cli.whole, default=METRIC_SAMPLES,
                        help=f"samples for FD, precision/recall, coverage, memorisation (default {METRIC_SAMPLES})")
    parser.add_argument("--train-samples", type=cli.whole, default=TRAIN_ON_GENERATED,
                        help=f"generated samples to train the classifier on (default {TRAIN_ON_GENERATED}; 0: skip)")
    parser.add_argument("--seed", type=cli.whole, default=0)
    parser.add_argument("--data-root", help="where mnist / fashion-mnist files are, as `train --data-root` took them")
    parser.add_argument("--device", default=None, help="auto, cpu, cuda (default: $GENLAB_DEVICE or auto)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per checkpoint instead")
    args = parser.parse_args(argv)
    cli.set_threads()
    try:
        settings = Settings(args.samples, args.train_samples, args.seed)
        core = InferenceCore(args.device)
        names = args.checkpoints or image_checkpoints()
        if args.checkpoints:
            refuse_mixed_data(args.checkpoints)
    except GenLabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    rows, failed = [], []
    for name in names:  # one checkpoint that cannot be scored keeps the rows already computed
        try:
            rows.append(evaluate(core, name, settings, progress=lambda m: print(m, file=sys.stderr),
                                 data_root=args.data_root))
        except GenLabError as error:
            failed.append(str(error))
            print(f"error: {error}", file=sys.stderr)
    if args.json:
        import json
        for row in rows:
            print(json.dumps(row))
    elif rows:
        print(tables_by_dataset(rows))
    return 2 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
