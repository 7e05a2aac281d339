"""Warming the server process before its first visitor: the imports and model loads that every process pays once.

A cold process spends ~3-5 s importing torch, scikit-learn and the core before a page can draw its title, and
loads each page's default model on first use; `app.py` runs `warm_process` at server start-up, so the first
visitor finds a process as warm as the second one does (figures: bench/map_first_render.py).
"""
from __future__ import annotations

import gc
import importlib
import pkgutil
import time

from streamlit.logger import get_logger

LOG = get_logger("genlab.warmup")
WARM_REVEALS_VARIABLE = "GENLAB_WARM_REVEALS"  # "0": app.py leaves the lesson reveals to be kept when first shown
# The families each model picker lists, as the pages pass them to checkpoints_of: the VAE Explorer (and the home
# page's demo), the GAN Studio, the Diffusion Theater and its latent diffusion. A page opens the first image
# checkpoint of its list, its preferred one where installed (ui.loaders.PREFERRED; the Diffusion Theater's 2-D
# models load when its 2-D tab opens).
PICKER_FAMILIES = (("vae",), ("gan", "dcgan", "cgan"), ("ddpm",), ("ldm",))


def default_checkpoints() -> list[str]:
    """The first image checkpoint of each picker in PICKER_FAMILIES: what the pages open on a first visit."""
    from ui.loaders import checkpoints_of, first_choice

    names = []
    for families in PICKER_FAMILIES:
        images = [c["name"] for c in checkpoints_of(*families) if c["card"]["dataset"].get("kind", "image") == "image"]
        names += [first_choice(images, families[0])] if images else []
    return names


def import_all(package_name: str) -> int:
    """Import every module of a package (ours: cheap, and they pull in torch, scikit-learn, plotly, PIL)."""
    package = importlib.import_module(package_name)
    count = 0
    for module in pkgutil.walk_packages(package.__path__, package_name + "."):
        importlib.import_module(module.name)
        count += 1
    return count


def freeze_heap() -> int:
    """Move every object alive now (modules, torch, the loaded models: half a million objects) out of the garbage
    collector's sight (gc.freeze). Streamlit runs a full collection after every script run (runner.postScriptGC):
    over this heap that took 0.3 s, half of a busy server's CPU under 10 sessions (py-spy), for objects that live as
    long as the process anyway. Collections now scan only what was made since. Returns how many were frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def forget_parsed_urls() -> None:
    """Empty urllib's cache of parsed URLs. Since Python 3.11 `urllib.parse.urlsplit` keeps its last 128 arguments
    and results (functools.lru_cache), and st.image parses every picture's URL: the Playground's frames are 30-60 KB
    data: URIs (ui.images.inline_jpeg), so the cache kept up to ~15 MB of pictures of sessions long closed
    (tracemalloc between two rounds of bench/load.py: 4.9 MB of them, the largest growth)."""
    import urllib.parse

    clear = getattr(urllib.parse.urlsplit, "cache_clear", None)
    if clear is not None:
        clear()


def bound_native_memory(trim_every: float = 30.0) -> bool:
    """Every `trim_every` seconds, a full garbage collection (the post-run one is off, see .streamlit/config.toml:
    a closed session's objects hold cycles, and only a full pass frees them) and, with glibc, freed memory handed
    back to the system; glibc also gets at most two malloc arenas. Streamlit runs each script run on a thread of
    its own; glibc gave threads up to 8 arenas per core, each keeping what sessions had freed, so the server's
    memory rose with every round of visitors (bench/load.py). Returns whether the glibc part applied."""
    import ctypes
    import ctypes.util
    import threading

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.mallopt(-8, 2)  # M_ARENA_MAX (malloc.h): arenas made from now on share two
        # M_MMAP_THRESHOLD: blocks from 256 KiB up (tensors, pictures) get their own mapping, returned to the system
        # when freed. Setting it stops glibc's dynamic threshold, which after the first large frees moved the
        # threshold up to 32 MB and let big tensors fragment the heap (bench/load.py rounds kept ~40-190 MB each).
        libc.mallopt(-3, 256 * 1024)
        trim = libc.malloc_trim
    except (OSError, AttributeError, TypeError):
        trim = None

    def tidy_forever():
        while True:
            time.sleep(trim_every)
            forget_parsed_urls()
            gc.collect()  # over what is not frozen (freeze_heap): sessions' objects, a few hundredths of a second
            if trim is not None:
                trim(0)

    if not any(t.name == "genlab-memory" for t in threading.enumerate()):  # one per process, however often warmed
        threading.Thread(target=tidy_forever, name="genlab-memory", daemon=True).start()
    return trim is not None


def warm_training() -> None:
    """One Adam step on a throwaway tensor: a process's first torch optimizer imports torch._dynamo and friends
    (1.2 s here), which the Playground's first visitor used to pay (its first load was 1.7x a bare page's)."""
    import torch

    weight = torch.zeros(4, requires_grad=True)
    optimiser = torch.optim.Adam([weight], lr=1e-3)
    (weight - 1).pow(2).sum().backward()
    optimiser.step()


def warm_process() -> dict:
    """Import the core and the UI helpers, then load each page's default checkpoint into the shared inference core
    of the default device. Never raises: a broken checkpoint is the page's to report, not a reason not to serve."""
    started = time.perf_counter()
    report = {"modules": 0, "checkpoints": [], "problems": [], "threads": None,
              "native_memory_bounded": bound_native_memory()}
    try:
        report["modules"] = import_all("gen_core") + import_all("ui")
        from gen_core.device import configure_server_threads, pick_device
        from gen_core.errors import GenLabError
        from ui.loaders import core_on

        try:
            report["threads"] = configure_server_threads()
        except GenLabError as error:  # a bad GENLAB_TORCH_THREADS: said once, torch keeps its own count
            report["problems"].append(str(error))

        core = core_on(str(pick_device("auto")))
        for name in default_checkpoints():
            loaded = core.load(name)
            report["checkpoints"].append(name)
            if loaded.card["family"] in ("gan", "dcgan", "cgan"):  # GAN Studio's "new, or memorised?" yardstick
                from gen_core.metrics import held_out_distances
                held_out_distances(loaded.card["dataset"]["name"])
            if loaded.card["family"] == "vae":  # the VAE Explorer's map: every test image through the encoder
                from gen_core.labs.vae import encoded_test_set
                encoded_test_set(core, name)
        warm_training()
    except Exception as error:  # noqa: BLE001 - warming is an optimisation; the pages report real problems
        report["problems"].append(f"{type(error).__name__}: {error}")
    report["frozen"] = freeze_heap()
    report["seconds"] = time.perf_counter() - started
    LOG.info("warmed in %.1f s: %d modules, torch on %s threads, %d objects frozen, checkpoints %s%s",
             report["seconds"], report["modules"], report["threads"], report["frozen"],
             ", ".join(report["checkpoints"]) or "none", f"; problems: {report['problems']}" if report["problems"]
             else "")
    return report


def warm_reveals_in_background():
    """warm_first_views, then warm_reveals, on a thread of their own at the lowest CPU priority
    (gen_core.background), so visitors' script runs go first. app.py starts it after the warm-up."""
    from gen_core.background import start_low

    return start_low(lambda: (warm_first_views(), warm_reveals()), "genlab-reveals")


def timed(report: dict, key: str, work) -> None:
    """report[key] = the seconds work() took, or the problem it raised (the page that needs it will compute, and
    report, itself)."""
    started = time.perf_counter()
    try:
        work()
        report[key] = round(time.perf_counter() - started, 2)
    except Exception as error:  # noqa: BLE001
        report[key] = f"{type(error).__name__}: {error}"


def warm_first_views(seeds: tuple[int, ...] = (0, 1)) -> dict:
    """GAN Studio's first grid, and the one New samples shows next, with their nearest training images, kept on disk
    (gen_core.labs.gan.samples_batch and nearest_training): a class that opens the page together and presses New
    samples at the teacher's word finds both made, on every replica (the first such burst on a fresh server waited
    on the next grid being made while thirty pages opened). Never raises. Returns {"name/seed": seconds or the
    problem}."""
    report = {}
    try:
        from gen_core.device import pick_device
        from gen_core.labs import gan as gan_lab
        from ui.loaders import core_on, get_dataset

        core = core_on(str(pick_device("auto")))
        for name in default_checkpoints():
            card = core.load(name).card
            if card["family"] not in ("gan", "dcgan", "cgan"):
                continue
            dataset = get_dataset(card["dataset"]["name"])
            for seed in seeds:
                def first_view(inputs=gan_lab.first_grid_inputs(card, seed)):
                    gan_lab.samples_batch(core, name, *inputs)
                    if len(dataset.x_train):  # the page's memorisation check needs the training images
                        gan_lab.nearest_training(core, name, dataset, *inputs)
                timed(report, f"{name}/{seed}", first_view)
    except Exception as error:  # noqa: BLE001
        report["problem"] = f"{type(error).__name__}: {error}"
    LOG.info("first views warmed: %s", report)
    return report


def warm_reveals() -> dict:
    """Run the slow views lessons reveal (ui.lessons.Predict.view: DDPM's 1000 steps, learning curves), each kept on
    disk by gen_core.kept, so a reveal in front of a class reads them instead of computing. Once per machine (later
    starts find them on disk, a few milliseconds). Never raises. Returns {"lesson/step": seconds or the problem}."""
    report = {}
    try:
        from gen_core.device import pick_device
        from ui.lessons import LESSONS
        from ui.loaders import core_on

        core = core_on(str(pick_device("auto")))
        for lesson in LESSONS:
            for index, step in enumerate(lesson.steps):
                if step.predict is None or step.predict.view is None:
                    continue
                timed(report, f"{lesson.key}/{index + 1}", lambda view=step.predict.view: view(core))
    except Exception as error:  # noqa: BLE001
        report["problem"] = f"{type(error).__name__}: {error}"
    LOG.info("lesson reveals warmed: %s", report)
    return report
