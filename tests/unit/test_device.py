import pytest
import torch

from gen_core.device import available_devices, make_generator, pick_device, seed_everything
from gen_core.errors import GenLabError


def test_cpu_is_always_available():
    assert available_devices()[-1] == "cpu"
    assert pick_device("cpu") == torch.device("cpu")


def test_env_var_overrides_auto(monkeypatch):
    monkeypatch.setenv("GENLAB_DEVICE", "cpu")
    assert pick_device() == torch.device("cpu")


def test_auto_means_the_env_var_where_it_is_set(monkeypatch):
    """The app's sidebar says "auto"; a server started with GENLAB_DEVICE=cpu on a GPU machine stays on the CPU."""
    monkeypatch.setattr("gen_core.device.available_devices", lambda: ["cuda", "cpu"])
    monkeypatch.setenv("GENLAB_DEVICE", "cpu")
    assert pick_device("auto") == torch.device("cpu")
    monkeypatch.delenv("GENLAB_DEVICE")
    assert pick_device("auto") == torch.device("cuda")


def test_auto_prefers_the_first_available(monkeypatch):
    monkeypatch.delenv("GENLAB_DEVICE", raising=False)
    assert pick_device().type == available_devices()[0]


@pytest.mark.parametrize("bad", ["tpu", "gpu", "cuda:99" if torch.cuda.is_available() else "cuda"])
def test_bad_or_missing_device_is_a_clear_error(bad):
    with pytest.raises(GenLabError, match="device"):
        pick_device(bad)


def test_generators_reproduce_and_seed_everything_resets_global_state():
    a = torch.randn(4, generator=make_generator(3))
    b = torch.randn(4, generator=make_generator(3))
    assert torch.equal(a, b)
    seed_everything(5)
    x = torch.rand(3)
    seed_everything(5)
    assert torch.equal(x, torch.rand(3))


def test_the_server_thread_count_is_set_once_from_the_environment():
    """A server's torch threads: GENLAB_TORCH_THREADS, else half the cores; sessions never change it."""
    from gen_core.device import server_threads
    from gen_core.errors import GenLabError
    assert server_threads({}, cores=2) == 1 and server_threads({}, cores=16) == 8 and server_threads({}, cores=1) == 1
    assert server_threads({"GENLAB_TORCH_THREADS": " 3 "}, cores=2) == 3
    for bad in ("two", "0", "-1", "1e9", "1.5"):
        with pytest.raises(GenLabError, match="GENLAB_TORCH_THREADS"):
            server_threads({"GENLAB_TORCH_THREADS": bad}, cores=2)
