"""gen_core.kept: lab results kept on disk, keyed by the function's code, its arguments and the weights they name."""
import numpy as np
import torch

from gen_core import kept
from gen_core.core import InferenceCore


def test_a_result_comes_back_as_it_was_stored(genlab_home):
    stored = {"x": torch.arange(6.0).reshape(2, 3), "hits": np.array([0.5, 1.0]), "seconds": 1.25, "n": 3,
              "label": "seven", "nothing": None, "spread": [0.1, 0.2]}
    back = kept.decode(kept.encode(stored))
    assert torch.equal(back["x"], stored["x"]) and np.array_equal(back["hits"], stored["hits"])
    assert (back["seconds"], back["n"], back["label"], back["nothing"], back["spread"]) == (1.25, 3, "seven", None,
                                                                                           [0.1, 0.2])


def test_computed_once_then_read_and_measured_again_when_an_argument_or_the_weights_change(genlab_home, monkeypatch):
    calls = []

    @kept.kept_on_disk(checkpoints=("name",))
    def experiment(core, name, seed):
        calls.append(seed)
        return {"value": torch.full((2,), float(seed))}

    core = InferenceCore("cpu")
    first = experiment(core, "ddpm-digits", 1)
    again = experiment(core, "ddpm-digits", 1)
    assert calls == [1] and torch.equal(first["value"], again["value"]) and again[kept.KEPT_AT] == first[kept.KEPT_AT]
    experiment(core, "ddpm-digits", 2)
    assert calls == [1, 2]
    from gen_core import checkpoints
    monkeypatch.setattr(checkpoints, "weights_hash", lambda name: "retrained")
    experiment(core, "ddpm-digits", 1)  # same name, other weights: measured again
    assert calls == [1, 2, 1]


def test_a_damaged_file_is_measured_again_and_replaced(genlab_home):
    @kept.kept_on_disk()
    def experiment(seed):
        return {"value": seed}

    experiment(5)
    [path] = list(kept.folder().glob("*.npz"))
    path.write_bytes(b"not a zip")
    assert experiment(5)["value"] == 5
    assert kept.decode(path.read_bytes())["value"] == 5


def test_nothing_is_unpickled_from_the_cache(genlab_home):
    """An object array (what pickle would carry) in a kept file is refused, and the result measured again."""
    import io

    @kept.kept_on_disk()
    def experiment(seed):
        return {"value": seed}

    experiment(7)
    [path] = list(kept.folder().glob("*.npz"))
    buffer = io.BytesIO()
    np.savez(buffer, **{"array:value": np.array([object()], dtype=object)})
    path.write_bytes(buffer.getvalue())
    assert experiment(7)["value"] == 7


def test_the_folder_keeps_its_budget_by_dropping_the_least_recently_used(genlab_home, monkeypatch):
    import os

    @kept.kept_on_disk()
    def experiment(seed):
        return {"values": np.full(2_000, seed, dtype=np.float64)}  # ~16 KB each

    first, second = experiment(1), experiment(2)
    size = max(p.stat().st_size for p in kept.folder().glob("*.npz"))
    paths = {seed: next(p for p in kept.folder().glob("*.npz") if kept.decode(p.read_bytes())["values"][0] == seed)
             for seed in (1, 2)}
    for path, age in ((paths[1], 300), (paths[2], 200)):  # seed 1 used longest ago
        os.utime(path, (path.stat().st_atime - age, path.stat().st_mtime - age))
    assert experiment(1)["values"][0] == 1  # read, not measured: seed 1 is now the most recently used
    monkeypatch.setattr(kept, "BUDGET_BYTES", int(2.5 * size))  # room for two
    kept.measured.clear()
    experiment(3)
    assert len(kept.measured) == 1  # only seed 3 was measured
    left = sorted(kept.decode(p.read_bytes())["values"][0] for p in kept.folder().glob("*.npz"))
    assert left == [1, 3] and not paths[2].exists()  # seed 2, the least recently used, went
    assert first["values"][0] == 1 and second["values"][0] == 2
