import numpy as np
import pytest

from gen_core import embed
from gen_core.errors import GenLabError


@pytest.fixture
def latents():
    rng = np.random.default_rng(0)
    return rng.normal(size=(60, 5)).astype(np.float32)


def test_projection_shapes_and_the_exact_latent_map(latents):
    assert embed.project(latents, "pca").shape == (60, 2)
    assert embed.project(latents, "tsne", perplexity=10.0).shape == (60, 2)
    two = latents[:, :2]
    assert np.array_equal(embed.project(two, "latent"), two)
    with pytest.raises(GenLabError, match="2-D latent"):
        embed.project(latents, "latent")
    with pytest.raises(GenLabError, match="unknown projection"):
        embed.project(latents, "isomap")


def test_the_second_call_comes_from_disk(genlab_home, tmp_path, latents, monkeypatch):
    first = embed.cached_projection(tmp_path / "ck", "sha-1", "toy:test", latents, "tsne", perplexity=10.0)
    assert first.source == "computed"
    assert list((genlab_home / "cache" / "projections").glob("*.npz"))

    def must_not_compute(*args, **kwargs):
        raise AssertionError("recomputed instead of reading the cache")
    monkeypatch.setattr(embed, "project", must_not_compute)
    second = embed.cached_projection(tmp_path / "ck", "sha-1", "toy:test", latents, "tsne", perplexity=10.0)
    assert second.source == "cache" and np.array_equal(first.coords, second.coords)
    # another model (weights), method parameter or dataset is another map
    assert embed.cached_projection(tmp_path / "ck", "sha-2", "toy:test", latents, "tsne", compute=False,
                                   perplexity=10.0) is None
    assert embed.cached_projection(tmp_path / "ck", "sha-1", "toy:test", latents, "tsne", compute=False,
                                   perplexity=20.0) is None


def test_a_damaged_cache_file_is_recomputed(genlab_home, tmp_path, latents):
    embed.cached_projection(tmp_path / "ck", "sha", "toy:test", latents, "pca")
    for file in (genlab_home / "cache" / "projections").glob("*.npz"):
        file.write_bytes(b"garbage")
    again = embed.cached_projection(tmp_path / "ck", "sha", "toy:test", latents, "pca")
    assert again.source == "computed" and again.coords.shape == (60, 2)


def test_map_inverse_is_exact_for_the_latent_map_and_local_otherwise(latents):
    coords = embed.project(latents, "pca")
    exact = embed.MapInverse(latents[:, :2], latents[:, :2], exact=True)
    z, distance = exact((0.25, -1.5))
    assert np.allclose(z, [0.25, -1.5]) and distance >= 0
    approx = embed.MapInverse(coords, latents, exact=False)
    z, distance = approx(coords[7])
    assert distance == pytest.approx(0.0, abs=1e-6)
    assert np.allclose(z, latents[7], atol=1e-3)  # a click on a dot returns that dot's latent
    far, far_distance = approx(coords.max(0) + 10)
    assert far_distance > 10 and far.shape == (5,)
