"""The server's warm-up: `streamlit run app.py` must find the ASGI app (else no warm-up runs), and warming loads
each page's default model into the shared core without ever raising."""
from pathlib import Path

from streamlit.web.server.app_discovery import discover_asgi_app

from ui import warmup
from ui.loaders import core_on

ROOT = Path(__file__).resolve().parents[2]


def test_streamlit_run_serves_app_py_as_an_asgi_app_with_the_warm_up():
    found = discover_asgi_app(ROOT / "app.py")
    assert found.is_asgi_app and found.import_string.endswith(":app")
    assert (ROOT / "frame.py").exists()  # the pages it serves


def test_warming_loads_each_default_checkpoint_into_the_shared_core():
    report = warmup.warm_process()
    assert report["problems"] == []
    assert report["modules"] > 10
    expected = warmup.default_checkpoints()
    assert report["checkpoints"] == expected
    # the VAE Explorer's, the Diffusion Theater's and the GAN Studio's defaults: Fashion-MNIST models where shipped
    assert {"vae-fashion", "ddpm-fashion", "cgan-fashion"} <= set(expected)
    from gen_core.device import pick_device
    assert set(expected) <= set(core_on(str(pick_device("auto"))).loaded_names())


def test_a_failing_warm_up_is_reported_not_raised(monkeypatch):
    def broken(package_name):
        raise ImportError("no such module")
    monkeypatch.setattr(warmup, "import_all", broken)
    report = warmup.warm_process()
    assert report["problems"] == ["ImportError: no such module"] and report["checkpoints"] == []


def test_a_bad_thread_count_is_one_line_and_the_warm_up_goes_on(monkeypatch):
    import torch
    before = torch.get_num_threads()
    monkeypatch.setenv("GENLAB_TORCH_THREADS", "lots")
    report = warmup.warm_process()
    assert report["problems"] == ["GENLAB_TORCH_THREADS must be a whole number of threads, not 'lots'"]
    assert report["threads"] is None and torch.get_num_threads() == before
    assert report["checkpoints"] == warmup.default_checkpoints()  # the rest of the warm-up still ran


def test_the_reveals_warm_on_a_thread_of_the_lowest_priority_and_leave_the_caller_alone(monkeypatch):
    """app.py's background warming of the lesson reveals runs at nice 19 on its own thread; the server's other
    threads (and anything they start) keep their priority."""
    import os
    import threading

    from ui import warmup

    seen = {}

    def record():
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    monkeypatch.setattr(warmup, "warm_reveals", record)
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    warmup.warm_reveals_in_background().join(10)
    assert seen["nice"] == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before


def test_the_memory_tidy_forgets_the_pictures_urllib_cached():
    """st.image parses each picture's URL, and urllib keeps its last 128 (lru_cache): the Playground's data: URIs
    stayed in memory after their sessions closed until ui.warmup.forget_parsed_urls emptied the cache."""
    import urllib.parse

    picture = "data:image/jpeg;base64," + "A" * 40_000
    urllib.parse.urlparse(picture)
    if not hasattr(urllib.parse.urlsplit, "cache_info"):  # an older Python without the cache: nothing held
        return
    assert urllib.parse.urlsplit.cache_info().currsize >= 1
    warmup.forget_parsed_urls()
    assert urllib.parse.urlsplit.cache_info().currsize == 0
