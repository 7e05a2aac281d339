"""The 2-D Playground's core: every family trained live on the same points, and what each one lets us look at.

A `LiveModel` wraps one family's model and trainer (the same `gen_core.models` modules the CLI trains) so a page
can train it a few steps at a time, draw it, and keep going. Its samples for the views come from fixed noise, so
what moves between frames is the model, not the randomness.

What each model lets us look at is gen_core/labs/playground_views.py; points drawn by hand are
gen_core/labs/drawn_points.py.

`PRESETS` are named configurations, among them the mode-collapse ones: a vanilla GAN that drops modes of ring8
and grid25, and the fixes (packing, annealed learning rates) that bring them back; `bench/playground.py` scores
them over 2,500 samples.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import threading
import time
import weakref
from dataclasses import dataclass, field

import numpy as np
import torch

from gen_core.data import Dataset
from gen_core.device import make_generator
from gen_core.errors import GenLabError, TrainingDiverged
from gen_core.mode_metrics import knn_radii, point_metrics
from gen_core.models import family_defaults, get_family
from gen_core.labs.playground_views import discriminator_map
from gen_core.train import divergence

FAMILY_LABELS = {"gan": "GAN", "vae": "VAE", "ddpm": "Diffusion", "flow": "Flow (RealNVP)", "ebm": "Energy (Langevin)"}
# The live view's frame: ~5.5 redraws a second, so a frame that runs a little long still leaves 5 (fewer when drawing
# many models takes longer).
# 10 frames a second while playing (GAN Lab's feel), with room for the loop's own overhead; views too slow for
# that fall back gracefully (see training_seconds)
FRAME_SECONDS = 0.09
# While playing, the metrics (k-NN precision / recall, the mode histogram), their table and the loss curves are
# refreshed at most this often: the samples and the look-inside view move at every frame, and the numbers read just
# as well three times a second, at a third of their cost (the training gets the time).
METRICS_SECONDS = 0.3
VIEW_SAMPLES = 500  # per model and frame: enough for the metrics, cheap enough for 10 frames a second
DRAWN_MIN_POINTS = 20
METRIC_REAL_POINTS = 1000  # held-out points the live precision / recall compare with


@dataclass(frozen=True)
class Preset:
    family: str
    overrides: dict
    description: str


PRESETS: dict[str, Preset] = {
    "GAN: vanilla": Preset(
        "gan", dict(loss="nonsaturating", z_dim=2, width=16, depth=3, lr_g=1e-3, lr_d=1e-3),
        "non-saturating loss, one D and one G step, fixed learning rates: it finds every mode, but with a fixed "
        "step size G keeps jittering around the sharp modes of ring8 (74% high quality after 20k steps)"),
    "GAN: minimax": Preset(
        "gan", dict(loss="minimax", z_dim=2, width=16, depth=3, lr_g=1e-3, lr_d=1e-3),
        "the original minimax objective: G's loss log(1 - D(G(z))) saturates while D wins, so it starts slowly "
        "and swings between modes on the way; here it settles by 20k steps"),
    "GAN: overtrained G (collapses)": Preset(
        "gan", dict(loss="nonsaturating", z_dim=2, width=16, depth=3, lr_g=1e-3, lr_d=1e-4, g_steps=5),
        "five G steps per D step and a 10x slower D: G keeps optimising against a discriminator that hardly moves, "
        "so every z lands on the one spot D likes best (Goodfellow's 'Helvetica scenario'): all samples on one "
        "mode, or on one point between modes, hopping as D catches up"),
    "GAN: annealed (fix)": Preset(
        "gan", dict(loss="nonsaturating", z_dim=2, width=16, depth=3, lr_g=1e-3, lr_d=1e-3, anneal_steps=20000),
        "the vanilla GAN with its learning rates held for 10,000 steps, then annealed to 0 by step 20,000: G stops "
        "circling and settles onto every mode (the best preset in bench/playground.py)"),
    "GAN: packed + annealed (fix)": Preset(
        "gan", dict(loss="nonsaturating", z_dim=2, width=16, depth=3, lr_g=1e-3, lr_d=1e-3, pack=4,
                    anneal_steps=20000),
        "PacGAN's packing (D judges 4 samples at once, so a collapsed G is caught by the lack of variety) with the "
        "same annealing: the most even spread of modes on ring8, but on grid25 its samples are still loose at 20k "
        "steps (a packed D judges sharpness less directly)"),
    "GAN: WGAN-GP": Preset(
        "gan", dict(loss="wgan-gp", z_dim=2, width=16, depth=3, lr_g=1e-4, lr_d=1e-4, d_steps=5),
        "Wasserstein critic with a gradient penalty, 5 critic steps per G step (Gulrajani et al.)"),
    "VAE": Preset("vae", dict(latent_dim=2),
                  "MLP encoder and decoder, 2-D codes, Gaussian p(x|z) with a learned sigma"),
    "Diffusion": Preset("ddpm", dict(timesteps=200),
                        "an MLP denoiser over T = 200 steps; live samples by DDIM, 20 steps"),
    "Flow (RealNVP)": Preset("flow", {}, "8 affine coupling layers, trained by exact maximum likelihood"),
    "Energy (Langevin)": Preset("ebm", {}, "an MLP energy trained by contrastive divergence with persistent "
                                           "Langevin chains (Du & Mordatch, 2019)"),
}
DEFAULT_PRESET = {"gan": "GAN: vanilla", "vae": "VAE", "ddpm": "Diffusion", "flow": "Flow (RealNVP)",
                  "ebm": "Energy (Langevin)"}
SAMPLE_STEPS = 20  # DDIM steps for the diffusion model's live samples


class TrainingSlots:
    """How many sessions of this server process may train live at the same moment.

    Thirty students pressing Play on a two-core server would otherwise leave nothing for anyone's clicks. A
    session takes a slot for one frame's training and gives it back before drawing, so waiting sessions take
    turns frame by frame: everyone's models go on learning, more slowly, and the page says why."""

    def __init__(self, size: int):
        self.size = size
        self._semaphore = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self.training = 0   # sessions inside a slot now

    @contextlib.contextmanager
    def slot(self, timeout: float):
        """Yields (True, seconds waited) with a slot held for the block, or (False, timeout) when none freed within
        `timeout` seconds."""
        started = time.perf_counter()
        got = self._semaphore.acquire(timeout=timeout)
        if got:
            with self._lock:
                self.training += 1
        try:
            yield got, time.perf_counter() - started
        finally:
            if got:
                with self._lock:
                    self.training -= 1
                self._semaphore.release()


def _slots_setting() -> int:
    """GENLAB_LIVE_TRAINING_SLOTS, else half the cores (at least one): room is left for other visitors' clicks."""
    try:
        return max(1, int(os.environ.get("GENLAB_LIVE_TRAINING_SLOTS", "")))
    except ValueError:
        return max(1, (os.cpu_count() or 2) // 2)


LIVE_TRAINING = TrainingSlots(_slots_setting())

def points_dataset(points, name: str = "drawn") -> Dataset:
    """A Dataset of user points (N, 2): every point is both training and held-out data (there are few)."""
    x = torch.as_tensor(np.asarray(points, dtype=np.float32)).reshape(-1, 2)
    if len(x) < DRAWN_MIN_POINTS:
        raise GenLabError(f"draw at least {DRAWN_MIN_POINTS} points first (there are {len(x)})")
    if not torch.isfinite(x).all():
        raise GenLabError("the points must be finite numbers")
    y = torch.zeros(len(x), dtype=torch.int64)
    return Dataset(name=name, kind="points", x_train=x, y_train=y, x_test=x, y_test=y, class_names=("drawn",),
                   description="points drawn on the canvas")


def preset_config(preset: str, dataset: Dataset, **overrides):
    """The config a preset gives on this dataset, with the user's overrides on top."""
    p = PRESETS[preset]
    family = get_family(p.family)
    try:
        return family.config_for(dataset, **{**family_defaults(p.family), **p.overrides, **overrides})
    except ValueError as error:
        raise GenLabError(f"bad settings: {error}") from None


@dataclass
class LiveModel:
    """One model being trained on a dataset, a few steps at a time."""
    family_name: str
    config: object
    dataset: Dataset
    seed: int = 0
    steps: int = 0
    seconds: float = 0.0
    history: dict = field(default_factory=lambda: {"step": []})
    metric_history: dict = field(default_factory=lambda: {"step": []})
    label: str = ""  # what the page calls it: the family's name, or a preset's where GAN presets are compared
    half_steps: dict = field(default_factory=lambda: {"D": 0, "G": 0})  # GAN slow motion (see half_step)

    def __post_init__(self):
        self.label = self.label or FAMILY_LABELS[self.family_name]
        self.family = get_family(self.family_name)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.seed)
            self.model = self.family.build(self.config)
        self.trainer = self.family.Trainer(self.model, self.config)
        self.noise = make_generator(self.seed + 1, "cpu")
        self.order = make_generator(self.seed)
        self.view_z = torch.randn(VIEW_SAMPLES, self._latent_dim(), generator=make_generator(7))

    @classmethod
    def from_preset(cls, preset: str, dataset: Dataset, seed: int = 0, label: str = "", **overrides) -> "LiveModel":
        return cls(PRESETS[preset].family, preset_config(preset, dataset, **overrides), dataset, seed, label=label)

    def _latent_dim(self) -> int:
        c = self.config
        return getattr(c, "z_dim", None) or getattr(c, "latent_dim", None) or 2

    def train(self, steps: int) -> dict:
        """`steps` training steps on random batches; returns the last step's metrics. Raises TrainingDiverged as
        soon as a loss, or after the last step a weight, is not finite: the model is then lost and the page says
        so instead of drawing NaN."""
        x_all = self.dataset.x_train
        batch = self.config.batch_size
        metrics = {}
        started = time.perf_counter()
        for k in range(steps):
            index = torch.randint(len(x_all), (batch,), generator=self.order)
            metrics = self.trainer.step(x_all[index], self.dataset.y_train[index], self.noise)
            self.steps += 1
            problem = divergence(metrics, self.model if k == steps - 1 else None)
            if problem:
                raise TrainingDiverged(f"{self.label} diverged at step {self.steps} ({problem}): try smaller "
                                       f"learning rates")
            self.history["step"].append(self.steps)
            for key, value in metrics.items():
                self.history.setdefault(key, []).append(value)
        self.seconds += time.perf_counter() - started
        return metrics

    def half_step(self, network: str, extent, resolution: int = 48) -> dict:
        """GAN slow motion (as GAN Lab): one update of D alone ("D") or of G alone ("G"), with what it changed.

        Returns the D(x) map and the view samples before and after, and the step's metrics. A D step moves the
        map and leaves the samples where they were; a G step moves the samples (towards where D says 'real')
        and leaves the map. Half steps are counted apart (`half_steps`), not as training iterations, and use
        the trainer's own discriminator_step / generator_step, so they are the two halves of `train(1)`."""
        if self.family_name != "gan" or network not in ("D", "G"):
            raise GenLabError("slow motion takes a GAN and 'D' or 'G'")
        model, companions = self.model, self.dataset.x_test[:16]

        @torch.no_grad()
        def looks() -> dict:
            model.eval()
            return {"d": discriminator_map(model, extent, resolution, companions)["d"],
                    "samples": model.generate(self.view_z).numpy()}

        before = looks()
        model.train()
        batch = self.config.batch_size
        index = torch.randint(len(self.dataset.x_train), (batch,), generator=self.order)
        if network == "D":
            metrics = self.trainer.discriminator_step(self.dataset.x_train[index], self.dataset.y_train[index],
                                                      self.noise)
        else:
            metrics = self.trainer.generator_step(batch, self.noise)
        problem = divergence(metrics, model)
        if problem:
            raise TrainingDiverged(f"{self.label} diverged in a {network} step ({problem}): try smaller learning rates")
        self.half_steps[network] += 1
        return {"network": network, "before": before, "after": looks(), "metrics": metrics}

    @property
    def untrained(self) -> bool:
        """Not a step taken, not even a slow-motion half step: the model is still what its seed built."""
        return self.steps == 0 and not any(self.half_steps.values())

    def _first_view(self) -> dict:
        """This model's shared first-view record (`first_views`): same family, settings and seed, same record."""
        return first_views(self.dataset, (self.family_name, repr(self.config), self.seed))

    def view_samples(self) -> np.ndarray:
        """VIEW_SAMPLES samples from fixed noise (the energy model: its persistent chains), (N, 2). An untrained
        model's come from `first_views` when a model with the same family, settings and seed drew them before."""
        if not self.untrained:
            return self._draw_view_samples()
        entry = self._first_view()
        if "samples" not in entry:
            entry["samples"] = self._draw_view_samples()
        return entry["samples"].copy()

    @torch.no_grad()
    def _draw_view_samples(self) -> np.ndarray:
        m = self.model
        m.eval()
        if self.family_name == "gan":
            return m.generate(self.view_z).numpy()
        if self.family_name == "vae":
            z = self.view_z
            noise = torch.randn(len(z), 2, generator=make_generator(8))
            return (m.decode(z) + noise * (0.5 * m.log_sigma2).exp() * m.config.data_scale).numpy()
        if self.family_name == "flow":
            return m.generate(self.view_z).numpy()
        if self.family_name == "ebm":
            return m.chains[:VIEW_SAMPLES].numpy() * m.config.data_scale
        return self.family.sample(m, VIEW_SAMPLES, generator=make_generator(7),
                                  steps=SAMPLE_STEPS).numpy()

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """n fresh samples the way the CLI draws them (the energy model runs new Langevin chains)."""
        self.model.eval()
        with torch.no_grad():
            return self.family.sample(self.model, n, generator=make_generator(seed, "cpu")).numpy()

    def record_metrics(self, samples: np.ndarray) -> dict:
        """Mode metrics and precision/recall of the view samples, appended to metric_history (an untrained model's
        first view's, measured once, like its samples)."""
        entry = self._first_view() if self.untrained else {}
        first = "samples" in entry and np.array_equal(samples, entry["samples"])  # the first view's own samples
        if first and "metrics" in entry:
            found = dict(entry["metrics"])
        else:
            found = point_metrics(samples, self.dataset, max_real=METRIC_REAL_POINTS,
                                  real_radii=real_radii(self.dataset))
            if first:
                entry["metrics"] = dict(found)
        self.metric_history["step"].append(self.steps)
        for key, value in found.items():
            self.metric_history.setdefault(key, []).append(value)
        return found

    def describe(self) -> str:
        c = self.config
        changed = {f.name: getattr(c, f.name) for f in dataclasses.fields(c)
                   if f.name not in ("data_shape", "image_shape", "data_scale")}
        return ", ".join(f"{k}={v}" for k, v in changed.items())


_REAL_RADII: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def real_radii(dataset) -> torch.Tensor:
    """The held-out points' k-NN radii for precision / recall, computed once per dataset: datasets are shared and
    never modified (ui.loaders.get_dataset), so every model and every session on the same points measures against
    the same radii (a page of five models computed them five times, 7 ms each here)."""
    radii = _REAL_RADII.get(dataset)
    if radii is None:
        radii = _REAL_RADII[dataset] = knn_radii(dataset.x_test[:METRIC_REAL_POINTS])
    return radii


_FIRST_VIEWS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_FIRST_VIEWS_LOCK = threading.Lock()
FIRST_VIEWS_PER_DATASET = 32


def first_views(dataset, key: tuple) -> dict:
    """The shared record of an untrained model's first view ({"samples", "metrics"} once drawn and measured) for
    `key` = (family, settings, seed) on `dataset`. Every new session and every Reset builds the same models from the
    same seed, so they start from the same samples and metrics: drawing and measuring them once saves ~45 ms of
    each Playground's first view (five models; the diffusion model's 500 samples alone take ~24 ms). At most
    FIRST_VIEWS_PER_DATASET settings are kept per dataset, the least recently used dropped first."""
    with _FIRST_VIEWS_LOCK:
        views = _FIRST_VIEWS.setdefault(dataset, collections.OrderedDict())
        entry = views.setdefault(key, {})
        views.move_to_end(key)
        while len(views) > FIRST_VIEWS_PER_DATASET:
            views.popitem(last=False)
        return entry


def training_seconds(redraw_seconds: float) -> float:
    """At 'max' speed, how long a frame trains: the frame's time left after the last redraw, but never less than
    the redraw took, so a view too slow for 10 frames a second (many models, a busy machine) still spends half of
    each frame training instead of taking a token few steps between redraws."""
    return max(FRAME_SECONDS - redraw_seconds, redraw_seconds)


def train_for(models, seconds: float, stop_at: int | None = None, chunk: int = 5) -> int:
    """Train every model `chunk` steps, then, while time is left, as many more steps as fit in what is left of
    `seconds` at the pace measured so far, until the models reach step `stop_at`; returns the steps each model
    took (one turn at least). The page's 'max' speed: the frame's time left after a redraw goes to training, so
    the models keep in step with each other and the view still redraws on time. (Turns of a fixed 5 steps left a
    turn's worth of each frame unused: up to a third of it at 10 frames a second.)"""
    models = list(models)
    started, taken, steps = time.perf_counter(), 0, chunk
    while True:
        if stop_at is not None:
            steps = min(steps, stop_at - min(m.steps for m in models))
        if steps <= 0:
            return taken
        for model in models:
            model.train(steps)
        taken += steps
        elapsed = time.perf_counter() - started
        steps = int((seconds - elapsed) / (elapsed / taken))  # the steps the time left holds; <= 0: none
