"""2-D maps of a latent space: UMAP, PCA, t-SNE (or the latent itself when it is 2-D), cached on disk.

A map is keyed by (the checkpoint's weights, the data encoded, the method, its parameters). Shipped checkpoints
carry their maps in `<checkpoint>/projections/`, written by `python -m gen_core.embed`, so a page never waits on
UMAP's 15-35 s first compile; anything else is computed once and cached under $GENLAB_HOME/cache/projections.

Going back from the map to the latent space: with the 2-D latent shown as itself the map *is* the latent, so a
clicked place decodes exactly. For the other methods there is no cheap inverse (UMAP's inverse_transform takes
seconds), so `MapInverse` takes the inverse-distance-weighted mean of the latents of the k nearest embedded points
and reports how far the click lies from the nearest real point.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gen_core import cli
from gen_core.data import genlab_home
from gen_core.errors import GenLabError

METHODS = ("umap", "pca", "tsne", "latent")
DEFAULTS = {"umap": {"n_neighbors": 15, "min_dist": 0.1}, "pca": {}, "tsne": {"perplexity": 30.0}, "latent": {}}
VERSION = 1


def project(latents: np.ndarray, method: str, seed: int = 0, **params) -> np.ndarray:
    """(N, D) latents -> (N, 2) float32 coordinates with the chosen method (`params` override DEFAULTS)."""
    if method not in METHODS:
        raise GenLabError(f"unknown projection {method!r}; choose one of {', '.join(METHODS)}")
    options = {**DEFAULTS[method], **params}
    latents = np.asarray(latents, dtype=np.float32)
    if method == "latent":
        if latents.shape[1] != 2:
            raise GenLabError(f"the 'latent' map needs a 2-D latent space; this one has {latents.shape[1]} dimensions")
        return latents.copy()
    if method == "pca":
        from sklearn.decomposition import PCA
        return PCA(n_components=2, random_state=seed).fit_transform(latents).astype(np.float32)
    n = len(latents)
    if method == "tsne":
        from sklearn.manifold import TSNE
        # scikit-learn needs perplexity < n; a perplexity near n/3 is the most a few points can support (each point's
        # neighbourhood then spans the set), so a small upload is mapped rather than refused
        options["perplexity"] = float(min(options["perplexity"], max(1.0, (n - 1) / 3)))
        return TSNE(n_components=2, random_state=seed, init="pca", **options).fit_transform(latents).astype(np.float32)
    import umap  # imported late: it JIT-compiles on first use, which no page may wait for
    if n < 8:
        # UMAP's spectral start needs more points than dimensions of its eigen-solver (k >= N fails in scipy): a
        # handful of points gets a random start and at most n - 1 neighbours
        options = {**options, "init": "random", "n_neighbors": max(2, min(options.get("n_neighbors", 15), n - 1))}
    else:
        options = {**options, "n_neighbors": min(options.get("n_neighbors", 15), n - 1)}
    return umap.UMAP(n_components=2, random_state=seed, n_jobs=1, **options).fit_transform(latents).astype(np.float32)


def test_set_id(dataset_name: str) -> str:
    """The data id of a dataset's test split, as shipped maps are keyed (the CLI writes them, pages read them)."""
    return f"{dataset_name}:test"


def cache_key(weights_sha256: str, data_id: str, method: str, params: dict, seed: int) -> str:
    blob = json.dumps([VERSION, weights_sha256, data_id, method, {**DEFAULTS.get(method, {}), **params}, seed],
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _user_cache() -> Path:
    return genlab_home() / "cache" / "projections"


def _read(path: Path, key: str) -> np.ndarray | None:
    try:
        with np.load(path) as stored:
            if str(stored["key"]) == key:
                return stored["coords"].astype(np.float32)
    except (OSError, ValueError, KeyError):
        pass  # missing or damaged: recompute
    return None


def _write(path: Path, key: str, coords: np.ndarray) -> None:
    """Write a map atomically; on a full disk or a read-only folder raise OSError and leave no partial file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.npz")
    try:
        np.savez_compressed(tmp, key=np.array(key), coords=coords.astype(np.float32))
        tmp.replace(path)  # atomic
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Projection:
    coords: np.ndarray   # (N, 2)
    method: str
    source: str          # "shipped", "cache" or "computed"
    seconds: float       # time to get it


def cached_projection(checkpoint_dir: str | Path, weights_sha256: str, data_id: str, latents: np.ndarray,
                      method: str, seed: int = 0, compute: bool = True, **params) -> Projection | None:
    """The map of `latents` from the checkpoint's shipped projections, else the user cache, else computed now
    and cached (or None when `compute` is False and nothing is stored)."""
    started = time.perf_counter()
    key = cache_key(weights_sha256, data_id, method, params, seed)
    shipped = Path(checkpoint_dir) / "projections" / f"{method}.npz"
    for path, source in ((shipped, "shipped"), (_user_cache() / f"{key}.npz", "cache")):
        coords = _read(path, key)
        if coords is not None and len(coords) == len(latents):
            return Projection(coords, method, source, time.perf_counter() - started)
    if not compute:
        return None
    coords = project(latents, method, seed=seed, **params)
    try:
        _write(_user_cache() / f"{key}.npz", key, coords)
    except OSError:
        pass  # a read-only home still works; it just recomputes next time
    return Projection(coords, method, "computed", time.perf_counter() - started)


class MapInverse:
    """From a place on the 2-D map back to a latent code."""

    def __init__(self, coords: np.ndarray, latents: np.ndarray, exact: bool, k: int = 8):
        self.coords = np.asarray(coords, dtype=np.float32)
        self.latents = np.asarray(latents, dtype=np.float32)
        self.exact, self.k = exact, k
        span = self.coords.max(0) - self.coords.min(0)
        self.scale = float(np.linalg.norm(span)) or 1.0

    def __call__(self, xy) -> tuple[np.ndarray, float]:
        """(latent (D,), distance from xy to the nearest embedded point, in map units)."""
        xy = np.asarray(xy, dtype=np.float32).reshape(2)
        distances = np.linalg.norm(self.coords - xy, axis=1)
        nearest = float(distances.min())
        if self.exact:
            return xy.copy(), nearest
        order = np.argsort(distances)[:self.k]
        # Inverse-distance weights (Shepard, 1968); a click on a point returns that point's latent.
        weights = 1.0 / np.maximum(distances[order], 1e-6) ** 2
        return (weights[:, None] * self.latents[order]).sum(0) / weights.sum(), nearest


def say(message: str) -> None:
    """Progress on stderr, so stdout keeps only the results."""
    print(message, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Precompute a checkpoint's test-set maps into <checkpoint>/projections/ (for shipped checkpoints)."""
    parser = argparse.ArgumentParser(prog=cli.program("gen_core.embed"),
                                     description="Compute and store a VAE checkpoint's latent maps.")
    parser.add_argument("checkpoint")
    parser.add_argument("--methods", default="umap,pca,tsne", help="comma-separated: umap, pca, tsne, latent")
    args = parser.parse_args(argv)
    cli.set_threads()
    from gen_core.core import InferenceCore
    from gen_core.models import vae
    try:
        methods = [m.strip() for m in args.methods.split(",")]
        unknown = [m for m in methods if m not in METHODS]
        if unknown:
            raise GenLabError(f"unknown projection {unknown[0]!r}; choose from {', '.join(METHODS)}")
        core = InferenceCore("cpu")
        loaded = core.load(args.checkpoint)
        if loaded.card["family"] != "vae":
            raise GenLabError(f"{loaded.name} is a {loaded.card['family']}; latent maps are made for VAEs only")
        dataset_name = loaded.card["dataset"]["name"]
        say(f"encoding the test images of {dataset_name} with {loaded.name} ...")
        latents = core.run(args.checkpoint, lambda m: vae.encode_dataset(m.model, dataset_name))["mu"]
        if not np.isfinite(latents).all():
            raise GenLabError(f"{loaded.name} encodes some test images to NaN or inf; no map was written")
        for number, method in enumerate(methods, 1):
            started = time.perf_counter()
            say(f"[{number}/{len(methods)}] {method}: projecting {len(latents):,} points"
                + (" (the first UMAP in a process compiles for 15-35 s)" if method == "umap" else "") + " ...")
            coords = project(latents, method)
            key = cache_key(loaded.card["weights_sha256"], test_set_id(dataset_name), method, {}, 0)
            target = loaded.path / "projections" / f"{method}.npz"
            try:
                _write(target, key, coords)
            except OSError as error:
                raise GenLabError(f"could not write {target} ({error.strerror or error}); the maps already "
                                  f"there are unchanged") from None
            print(f"{method}: {time.perf_counter() - started:.1f} s -> {loaded.path / 'projections'}")
    except GenLabError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
