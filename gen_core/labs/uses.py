"""What generative models are for, measured (the syllabus's uses and advantages): domain adaptation with a CycleGAN,
a class-conditional model's samples as extra training data, and the features a GAN's discriminator and a VAE's
encoder learn without labels. Every figure is a test-set accuracy of a plain classifier (scikit-learn's logistic
regression on standardised features), with the spread over several seeds where data is drawn at random.

The sample-data and probe figures take about a minute on a 2-core CPU, so `figures` reads them from a file measured
before for these exact weights (shipped in assets/uses/ by `python bench/uses.py --ship`, or cached under
$GENLAB_HOME) and measures only when neither exists (gen_core.json_cache).
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from gen_core import checkpoints
from gen_core.data import load_card_dataset
from gen_core.json_cache import cached_json
from gen_core.shipped import ASSETS

SHIPPED = ASSETS / "uses"
VERSION = 1


def figures(core, experiment: str, *names: str) -> dict:
    """`experiment`'s figures (domain_adaptation, synthetic_training_data, linear_probe, dataset_size,
    classifier_confidence, or sample_quality: dataset_size's evaluation rows for any checkpoints) for these
    checkpoints, from a file when one was measured for the same weights, else measured now and kept."""
    shas = [checkpoints.weights_hash(n) for n in names]  # the cards, not the models (six loads took ~2 s)
    key = hashlib.sha256(json.dumps([VERSION, experiment, names, shas]).encode()).hexdigest()[:16]
    measure = {"domain_adaptation": domain_adaptation, "synthetic_training_data": synthetic_training_data,
               "linear_probe": linear_probe, "dataset_size": dataset_size, "sample_quality": dataset_size,
               "classifier_confidence": classifier_confidence}[experiment]
    return cached_json(f"{experiment}-{key}.json", SHIPPED, "uses", lambda: measure(core, *names), indent=1)


def _classifier(seed: int = 0):
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.5, random_state=seed))


def _flat(x: torch.Tensor) -> np.ndarray:
    return x.detach().float().cpu().flatten(1).numpy()


def _per_class(y: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of n examples of every class (fewer where a class has fewer)."""
    return np.concatenate([rng.permutation(np.flatnonzero(y == k))[:n] for k in np.unique(y)])


def domain_adaptation(core, translator: str) -> dict:
    """A classifier trained on the source domain (the data as it is), tested on the target domain (the CycleGAN's
    transform of the test images: inverted or rotated digits): before, after translating the target back with the
    CycleGAN's F: B -> A, and the ceiling of a classifier trained on labelled target images."""
    from gen_core.models.cyclegan import transform
    card = core.load(translator).card
    name = card["config"]["transform"]
    data = load_card_dataset(card["dataset"]["name"])
    x_train, y_train = data.x_train, data.y_train.numpy()
    x_test, y_test = data.x_test, data.y_test.numpy()
    target_test = transform(name, x_test)
    with torch.no_grad():
        back = core.run(translator, lambda m: m.model.g_ba(target_test.to(core.device)).float().cpu())
    source = _classifier().fit(_flat(x_train), y_train)
    ceiling = _classifier().fit(_flat(transform(name, x_train)), y_train)
    accuracy = lambda model, x: float((model.predict(_flat(x)) == y_test).mean())  # noqa: E731
    return {"transform": name, "source_on_source": accuracy(source, x_test),
            "source_on_target": accuracy(source, target_test), "source_on_translated": accuracy(source, back),
            "target_on_target": accuracy(ceiling, target_test), "test_images": len(y_test)}


def translation_examples(core, translator: str, n: int = 8) -> torch.Tensor:
    """(3, n, C, H, W): test images, the same in the target domain, and translated back by F."""
    from gen_core.models.cyclegan import transform
    card = core.load(translator).card
    x = load_card_dataset(card["dataset"]["name"]).x_test[:n]
    target = transform(card["config"]["transform"], x)
    with torch.no_grad():
        back = core.run(translator, lambda m: m.model.g_ba(target.to(core.device)).float().cpu())
    return torch.stack([x, target, back.clamp(-1, 1)])


def synthetic_training_data(core, generator_name: str, real_per_class=(10, 30, 100), synthetic_per_class: int = 100,
                            seeds: int = 5) -> dict:
    """Test accuracy of a classifier trained on `real_per_class` real images per class, alone, with
    `synthetic_per_class` samples per class of a class-conditional generator added, and on the samples alone;
    mean and standard deviation over `seeds` draws of both the real subset and the samples."""
    card = core.load(generator_name).card
    data = load_card_dataset(card["dataset"]["name"])
    x_train, y_train = _flat(data.x_train), data.y_train.numpy()
    x_test, y_test = _flat(data.x_test), data.y_test.numpy()
    classes = np.unique(y_train)
    rows = {"real": [], "real + synthetic": [], "synthetic only": []}
    for n in real_per_class:
        scores = {k: [] for k in rows}
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            pick = _per_class(y_train, n, rng)
            fake = np.vstack([_flat(core.sample(generator_name, synthetic_per_class, seed=1000 + 17 * seed + int(k),
                                                label=int(k))) for k in classes])
            fake_y = np.repeat(classes, synthetic_per_class)
            sets = {"real": (x_train[pick], y_train[pick]),
                    "real + synthetic": (np.vstack([x_train[pick], fake]), np.concatenate([y_train[pick], fake_y])),
                    "synthetic only": (fake, fake_y)}
            for key, (x, y) in sets.items():
                scores[key].append(float((_classifier(seed).fit(x, y).predict(x_test) == y_test).mean()))
        for key in rows:
            rows[key].append((float(np.mean(scores[key])), float(np.std(scores[key]))))
    return {"real_per_class": list(real_per_class), "synthetic_per_class": synthetic_per_class, "seeds": seeds,
            "rows": rows, "test_images": len(y_test)}


def discriminator_features(model, x: torch.Tensor) -> torch.Tensor:
    """The discriminator's last hidden layer (what its real/fake unit reads) for images x: a DCGAN's convolutional
    body, flattened."""
    device = next(model.parameters()).device
    with torch.no_grad():
        return model.discriminator.body(x.to(device)).float().cpu()


def linear_probe(core, gan_name: str, vae_name: str, labels_per_class=(5, 10, 30), seeds: int = 5) -> dict:
    """Few-label accuracy of a linear classifier on three representations of the same images: raw pixels, the
    unconditional GAN's discriminator features and the VAE's encoder means (both learned without labels)."""
    data = load_card_dataset(core.load(gan_name).card["dataset"]["name"])
    y_train, y_test = data.y_train.numpy(), data.y_test.numpy()
    features = {"raw pixels": (_flat(data.x_train), _flat(data.x_test))}
    features["GAN discriminator"] = tuple(
        core.run(gan_name, lambda m, x=x: discriminator_features(m.model, x)).numpy() for x in (data.x_train, data.x_test))
    with torch.no_grad():
        features["VAE encoder (μ)"] = tuple(
            core.run(vae_name, lambda m, x=x: m.model.encode(x.to(core.device))[0].float().cpu()).numpy()
            for x in (data.x_train, data.x_test))
    rows = {}
    for key, (train, test) in features.items():
        rows[key] = []
        for n in labels_per_class:
            scores = []
            for seed in range(seeds):
                pick = _per_class(y_train, n, np.random.default_rng(seed))
                scores.append(float((_classifier(seed).fit(train[pick], y_train[pick]).predict(test) == y_test).mean()))
            rows[key].append((float(np.mean(scores)), float(np.std(scores))))
    return {"labels_per_class": list(labels_per_class), "rows": rows, "dims": {k: v[0].shape[1] for k, v in
                                                                                features.items()},
            "seeds": seeds, "test_images": len(y_test)}


# the Dataset size tab's checkpoints: the same DCGAN and VAE on 100, 1,000 and all 1,437 training digits
DATASET_SIZE_MODELS = {"GAN (DCGAN)": ("dcgan-digits-100", "dcgan-digits-1000", "dcgan-digits"),
                       "VAE": ("vae-digits-100", "vae-digits-1000", "vae-digits")}


def dataset_size(core, *names: str) -> dict:
    """The same family trained on fewer images (`train --train-limit`): for each checkpoint, the training images it
    saw, the Fréchet distance and coverage of 1,000 samples in the reference features, and the share of samples
    memorised (nearer one of its own training images than 99% of held-out images are)."""
    from gen_core import evaluate
    settings = evaluate.Settings(metric_samples=1000, train_samples=0)
    rows = []
    for name in names:
        card = core.load(name).card
        found = evaluate.evaluate(core, name, settings)
        rows.append({"checkpoint": name, "family": card["family"],
                     "train_images": int(card.get("train_limit") or card["dataset"].get("num_train", 0)),
                     "fd": found["fd"], "fd_floor": found["fd_floor"], "coverage": found["coverage"],
                     "precision": found["precision"], "recall": found["recall"], "memorised": found["memorised"]})
    return {"rows": rows, "samples": settings.metric_samples}


def classifier_confidence(core, *names: str, n: int = 1000) -> dict:
    """How sure outside judges are that each model's samples are digits: two classifiers fitted on the real training
    digits (an MLP with 128 hidden units, and an RBF SVC with calibrated probabilities), each one's mean top-class
    probability over `n` samples of each model, beside the same on the real test digits. Two judges, because they
    disagree on how far off a sample is: the SVC's probabilities fall much faster away from the data."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC
    data = load_card_dataset(core.load(names[0]).card["dataset"]["name"])
    x, y = _flat(data.x_train), data.y_train.numpy()
    judges = {"MLP": MLPClassifier(hidden_layer_sizes=(128,), max_iter=500, random_state=0).fit(x, y),
              "RBF SVC": CalibratedClassifierCV(SVC(kernel="rbf", gamma="scale", C=10.0), ensemble=False).fit(x, y)}
    samples = {name: _flat(core.sample(name, n, seed=0).clamp(-1, 1)) for name in names}
    samples["real test digits"] = _flat(data.x_test)
    rows = {judge: {name: float(model.predict_proba(s).max(1).mean()) for name, s in samples.items()}
            for judge, model in judges.items()}
    return {"rows": rows, "samples": n}
