import threading

import pytest
import torch

from gen_core.core import InferenceCore
from gen_core.errors import GenLabError


def test_same_seed_same_samples_whatever_the_batching():
    core = InferenceCore("cpu")
    a = core.sample("vae-digits", 20, seed=3)
    b = core.sample("vae-digits", 20, seed=3, batch_size=6)
    assert torch.allclose(a, b, atol=1e-5)
    assert not torch.allclose(a, core.sample("vae-digits", 20, seed=4))


def test_models_load_once_and_the_lru_evicts(tmp_path):
    core = InferenceCore("cpu", capacity=1)
    first = core.load("vae-digits")
    assert core.load("vae-digits") is first
    from tests.unit.test_checkpoints import make
    _, other = make(tmp_path)
    core.load(other)
    assert core.loaded_names() == ["ck"]
    assert core.load("vae-digits") is not first  # evicted, so loaded afresh


def test_concurrent_sampling_is_safe_and_reproducible():
    core = InferenceCore("cpu")
    expected = core.sample("vae-digits", 32, seed=9)
    results = [None] * 6

    def work(k):
        results[k] = core.sample("vae-digits", 32, seed=9)
    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(torch.equal(r, expected) for r in results)


def test_bad_requests_are_clear_errors():
    core = InferenceCore("cpu")
    with pytest.raises(GenLabError, match="unconditional"):
        core.sample("vae-digits", 4, label=2)
    with pytest.raises(GenLabError, match="at least 1"):
        core.sample("vae-digits", 0)
