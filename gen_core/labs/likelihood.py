"""The Likelihood Lab's experiments, one function per view of the page, each over a checkpoint in the shared
inference core and returning tensors or arrays (the page draws them).

PixelCNN: a sample drawn pixel by pixel with the probability of each pixel as it was drawn; the receptive field
of one pixel for the shipped model and for a plain stack of 3x3 masked convolutions of the same depth (its blind
spot); completing the bottom half of a test image. Text and series: next-character probabilities, continuations
at a temperature, a fan of futures. HMM: Viterbi path, posteriors, per-class likelihoods. Glow: one z at several
temperatures, interpolation between two images' z, the round-trip error. Energy model: short-run Langevin chains
as frames, and energies of real, generated and noise images. Autoregressive diffusion (ARDM): a sample drawn in a
random order beside PixelCNN's raster order, samples drawn several pixels per network call judged by PixelCNN,
and the test bound in random and in raster order.
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import torch

from gen_core.device import make_generator
from gen_core.models import ardm, glow, pixelcnn, rnn
from gen_core.data import sequences
from gen_core import checkpoints
from gen_core.json_cache import cached_json
from gen_core.kept import kept_on_disk
from gen_core.likelihood import SHIPPED_TABLES

# --- PixelCNN -----------------------------------------------------------------------------------------------


def pixelcnn_drawing(core, name: str, seed: int, known: torch.Tensor | None = None,
                     mask: torch.Tensor | None = None) -> dict:
    """One image drawn pixel by pixel: `frames` (P, H, W) the image after each drawn pixel (unknown pixels 0.5),
    `positions` (P, 2), `p_ink` (P,) the model's probability of ink for that pixel, and the final image."""
    frames, positions, probabilities = [], [], []

    def record(row, col, p, bits):
        shown = bits[0, 0].clone().cpu()
        drawn = torch.zeros_like(shown, dtype=torch.bool)
        drawn.view(-1)[:row * shown.shape[1] + col + 1] = True
        if mask is not None:
            drawn |= mask
        frames.append(torch.where(drawn, shown, torch.full_like(shown, 0.5)))
        positions.append((row, col))
        probabilities.append(float(p[0]))

    def draw(loaded):
        generator = make_generator(seed, core.device)
        return pixelcnn.generate(loaded.model, 1, generator, known=known, mask=mask, on_pixel=record).cpu()

    image = core.run(name, draw)
    return {"frames": torch.stack(frames), "positions": np.array(positions), "p_ink": np.array(probabilities),
            "image": image[0]}


def receptive_fields(core, name: str, row: int, col: int) -> dict[str, torch.Tensor]:
    """(H, W) bool maps of the pixels pixel (row, col) depends on: the shipped model, and a plain stack of 3x3
    masked convolutions as deep (random weights: the field is the architecture's, not the training's)."""
    config = core.load(name).model.config
    with torch.random.fork_rng(devices=[]):  # built outside core.run: inference-mode weights allow no gradients
        torch.manual_seed(0)
        plain = pixelcnn.build(pixelcnn.Config(image_shape=config.image_shape, channels=16,
                                               num_layers=config.num_layers, first_kernel=3))
    return {"model": core.run(name, lambda loaded: pixelcnn.receptive_field(loaded.model, row, col)),
            "plain": pixelcnn.receptive_field(plain, row, col)}


def top_half_mask(shape) -> torch.Tensor:
    """(H, W) True on the top half's rows: the pixels a completion keeps."""
    _, height, width = shape
    mask = torch.zeros(height, width, dtype=torch.bool)
    mask[:height // 2] = True
    return mask


def complete_bottom(core, name: str, x: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """n completions (n, 1, H, W) of one image's bottom half given its top half."""
    mask = top_half_mask(x.shape)

    def run(loaded):
        generator = make_generator(seed, core.device)
        return pixelcnn.generate(loaded.model, n, generator, known=x[None].expand(n, -1, -1, -1), mask=mask).cpu()
    return core.run(name, run)

# --- autoregressive diffusion (any order) ---------------------------------------------------------------------

PARALLEL_STEPS = (1, 4, 16)  # pixels drawn per network call
JUDGED = 120  # samples PixelCNN scores for each: a standard error near 0.5 nats


def ardm_drawing(core, name: str, seed: int, order: str = "random") -> dict:
    """One image drawn pixel by pixel in `order`: `frames` (D, H, W) after each pixel (undrawn 0.5), `positions`
    (D, 2), `p_ink` (D,) and `steps` (H, W), the step at which each pixel was drawn (0-based)."""
    frames, positions, probabilities = [], [], []

    def record(flat, p, bits, drawn):
        shown = torch.where(drawn[0], bits[0], torch.full_like(bits[0], 0.5))
        frames.append(shown.clone())
        index = int(flat[0, 0])
        positions.append(divmod(index, shown.shape[1]))
        probabilities.append(float(p[0, 0]))

    core.run(name, lambda loaded: ardm.generate(loaded.model, 1, make_generator(seed, core.device), order=order,
                                                on_step=record))
    steps = torch.zeros(frames[0].shape, dtype=torch.long)
    for k, (row, col) in enumerate(positions):
        steps[row, col] = k
    return {"frames": torch.stack(frames), "positions": np.array(positions), "p_ink": np.array(probabilities),
            "steps": steps}


def _weights_key(core, *names: str) -> str:
    """What a figure over these checkpoints depends on: their weights (each card's hash)."""
    shas = [checkpoints.weights_hash(name) for name in names]
    return hashlib.sha256(json.dumps([names, shas]).encode()).hexdigest()[:16]


def ardm_parallel_samples(core, name: str, judge: str, pixels_per_step: tuple[int, ...] = PARALLEL_STEPS,
                          n: int = JUDGED, shown: int = 8) -> dict:
    """n samples for each number of pixels drawn per network call, and PixelCNN `judge`'s -log p of each in nats (a
    model that did not make them scores how digit-like they are: drawing many pixels per call treats them as
    independent given the rest, so they agree less). Returns {k: {"images": (shown, 1, H, W), "nats": (n,)}}.
    Seeded (0) and kept on disk per weights: a few seconds of sampling no visitor waits for twice (shipped in
    assets/likelihood/ by `python bench/likelihood.py --ship`)."""
    def measure():
        out = {}
        for k in pixels_per_step:
            images = core.run(name, lambda loaded: ardm.generate(loaded.model, n, make_generator(0, core.device),
                                                                 pixels_per_step=k)).cpu()
            nats = core.run(judge, lambda loaded: -loaded.model.log_prob(images.to(core.device))).cpu()
            out[str(k)] = {"images": images[:shown].tolist(), "nats": nats.tolist()}
        return out
    found = cached_json(f"parallel-{_weights_key(core, name, judge)}-{n}-{'-'.join(map(str, pixels_per_step))}.json",
                        SHIPPED_TABLES, "likelihood", measure)
    return {int(k): {"images": torch.tensor(v["images"]), "nats": np.array(v["nats"])} for k, v in found.items()}


def order_bounds(core, name: str, judge: str, dataset) -> dict:
    """Mean -log p in nats per test image: the ARDM in one random order per image (its bound, seed 0), the ARDM in
    raster order, and PixelCNN `judge` (exact, raster order). 128 passes over the test set (15 s on a 2-core CPU),
    so kept on disk per weights and shipped like the likelihood table."""
    x = dataset.x_test

    def ardm_nats(order):
        return core.run(name, lambda loaded: float(-loaded.model.log_prob_bound(
            x.to(core.device), make_generator(0, core.device), order=order).mean()))

    def measure():
        exact = core.run(judge, lambda loaded: float(-loaded.model.log_prob(x.to(core.device)).mean()))
        return {"random": ardm_nats("random"), "raster": ardm_nats("raster"), "pixelcnn": exact, "images": len(x),
                "dims": int(np.prod(dataset.shape))}
    return cached_json(f"orders-{_weights_key(core, name, judge)}-{dataset.name}.json", SHIPPED_TABLES,
                       "likelihood", measure)


# --- text and series ---------------------------------------------------------------------------------------


def next_characters(core, name: str, prefix: str, temperature: float) -> tuple[str, np.ndarray]:
    """The vocabulary and p(next character | prefix) at a temperature."""
    def run(loaded):
        vocab = loaded.model.config.vocabulary
        codes = sequences.encode(prefix, vocab)
        return vocab, rnn.next_distribution(loaded.model, codes, temperature).numpy()
    return core.run(name, run)


def continue_text(core, name: str, prefix: str, length: int, temperature: float, n: int, seed: int) -> list[str]:
    def run(loaded):
        vocab = loaded.model.config.vocabulary
        codes = rnn.continue_text(loaded.model, sequences.encode(prefix, vocab), length, temperature,
                                  make_generator(seed, torch.device("cpu")), n=n)
        return [sequences.decode(row, vocab) for row in codes]
    return core.run(name, run)


def forecast(core, name: str, history: torch.Tensor, horizon: int, n: int, seed: int) -> dict:
    """n sampled futures of a series and their 5/25/50/75/95% quantiles per step, plus the one-step fit."""
    def run(loaded):
        futures, mean, std = rnn.continue_series(loaded.model, history, horizon, make_generator(seed, core.device),
                                                 n=n)
        return futures[:, :, 0].numpy(), mean[:, 0].numpy(), std[:, 0].numpy()
    futures, mean, std = core.run(name, run)
    return {"futures": futures, "quantiles": np.quantile(futures, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0),
            "fit_mean": mean, "fit_std": std}

# --- HMM ---------------------------------------------------------------------------------------------------


def hmm_scores(core, name: str, series: np.ndarray) -> dict:
    """log p(x | class) under every class's HMM (forward algorithm) and p(class | x) by Bayes' rule."""
    def run(loaded):
        x = torch.from_numpy(series[None])
        _, posterior = loaded.model.classify(x)
        return {"per_class": loaded.model.log_likelihoods(x)[0].numpy(), "class_posterior": posterior[0].numpy()}
    return core.run(name, run)


def hmm_decode(core, name: str, series: np.ndarray, k: int) -> dict:
    """Class k's Viterbi path, log p(x, path), the posterior per step and its states' means for one series."""
    from gen_core.models import hmm

    def run(loaded):
        log_joint, path, posterior = hmm.viterbi(loaded.model, series, k)
        return {"path": path, "posterior": posterior, "log_joint": log_joint,
                "state_means": loaded.model.means[k, :, 0].cpu().numpy()}
    return core.run(name, run)

# --- Glow --------------------------------------------------------------------------------------------------


def glow_temperatures(core, name: str, temperatures, n: int, seed: int) -> dict:
    """{"grid": (len(temperatures) * n) images, the same n standard-normal draws decoded at each temperature,
    "redrawn": how many draws were passed over}. A draw whose inverse explodes (NaN) at any of the temperatures has
    no picture in its column, so it is passed over for the generator's next one, as glow.sample does for a sample
    (the exploding inverse of Behrmann et al., 2021: at T = 1 a quarter of glow-fashion's draws); at most
    glow.REDRAWS rounds, after which a column may stay grey."""
    def run(loaded):
        model = loaded.model
        generator = make_generator(seed, torch.device("cpu"))

        def draw(k: int):  # k draws decoded at every temperature, and which stayed finite at all of them
            noises = [torch.randn(k, *shape, generator=generator) for shape in model.latent_shapes()]
            images = torch.stack([model.decode(noises=noises, temperature=t).cpu() for t in temperatures])
            return images, torch.isfinite(images.flatten(2)).all(2).all(0)

        images, finite = draw(n)
        redrawn = 0
        for _ in range(glow.REDRAWS):
            if finite.all():
                break
            missing = ~finite  # these columns take the next draws, in order
            redrawn += int(missing.sum())
            images[:, missing], finite[missing] = draw(int(missing.sum()))
        grid = glow.quantise(images.nan_to_num(0.0), model.config.levels)  # a column still exploded: mid-grey
        return {"grid": grid.flatten(0, 1), "redrawn": redrawn}
    return core.run(name, run)


def glow_latents(model, x: torch.Tensor) -> list[torch.Tensor]:
    """z of images x, dequantised at their cells' centres (u = 1/2): a deterministic encoding."""
    levels = model.config.levels
    y = (glow.to_levels(x, levels) + 0.5) / levels - 0.5
    return model.encode(y)[0]


def glow_interpolation(core, name: str, a: torch.Tensor, b: torch.Tensor, steps: int) -> torch.Tensor:
    """steps images decoded along the straight line between the z's of images a and b."""
    def run(loaded):
        model = loaded.model
        za, zb = glow_latents(model, a[None].to(core.device)), glow_latents(model, b[None].to(core.device))
        weights = torch.linspace(0, 1, steps, device=core.device)
        zs = [torch.cat([(1 - w) * p + w * q for w in weights]) for p, q in zip(za, zb)]
        return glow.quantise(model.decode(zs), model.config.levels).cpu()
    return core.run(name, run)


ROUND_TRIP_IMAGES = 2000  # glow-fashion's 10,000 test images took 45 s on two CPU threads, on every visit to the tab
ROUND_TRIP_BATCH = 500  # images per pass: 10,000 28x28 images at once held ~2 GB of activations


@kept_on_disk(checkpoints=("name",))
def glow_round_trip(core, name: str, dataset) -> dict:
    """image -> z -> image on the first ROUND_TRIP_IMAGES test images of `dataset`: the largest error in the
    continuous values and how many pixels change level (9 s for glow-fashion on two CPU threads; kept on disk)."""
    def run(loaded):
        model = loaded.model
        levels = model.config.levels
        max_error, changed, pixels = 0.0, 0, 0
        images = dataset.x_test[:ROUND_TRIP_IMAGES]
        for x in images.split(ROUND_TRIP_BATCH):
            y = (glow.to_levels(x.to(core.device), levels) + 0.5) / levels - 0.5
            back = model.decode(model.encode(y)[0])
            max_error = max(max_error, float((back - y).abs().max()))
            changed += int((glow.quantise(back, levels) != glow.quantise(y, levels)).sum())
            pixels += int(y.numel())
        return {"max_error": max_error, "pixels_changed": changed, "pixels": pixels, "images": len(images)}
    return core.run(name, run)

# --- energy model ------------------------------------------------------------------------------------------


def langevin_frames(core, name: str, n: int, steps: int, seed: int, record_every: int = 2) -> torch.Tensor:
    """(frames, n, C, H, W): n short-run chains from uniform noise, every `record_every` Langevin steps."""
    from gen_core.models import ebm

    def run(loaded):
        generator = make_generator(seed, core.device)
        start = loaded.model.noise(n, generator).to(core.device)
        _, path = ebm.langevin(loaded.model, start, steps, generator, record_every=record_every)
        return torch.stack(path).cpu()
    return core.run(name, run)


def energies(core, name: str, dataset, n: int, seed: int) -> dict[str, np.ndarray]:
    """E(x) of the dataset's real test images, of n generated ones and of n uniform-noise images."""
    real = dataset.x_test
    from gen_core.models import ebm

    def run(loaded):
        model, generator = loaded.model, make_generator(seed, core.device)
        generated = ebm.sample(model, n, generator=generator)
        noise = model.noise(n, generator).to(core.device)
        return {"real": model.energy(real.to(core.device)).cpu().numpy(),
                "generated": model.energy(generated).cpu().numpy(), "noise": model.energy(noise).cpu().numpy()}
    return core.run(name, run)
