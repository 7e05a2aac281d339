"""Model cards people recognise: every checkpoint folder's README.md, generated from its card.json.

The front matter is the YAML the Hugging Face Hub reads (Mitchell et al., 2019, "Model Cards for Model Reporting";
huggingface.co/docs/hub/model-cards): licence, library, tags, datasets, and the test metrics as a `model-index`.
The body says what the model is, what it is for and not for, how it was trained (the exact command, the world size
under torchrun, GenLab's and torch's versions and the git commit) and how to load it. card.json stays the source of
truth: the README is regenerated from it (`python -m gen_core.checkpoints --write-cards [NAME ...]`), so an old card
without a README still loads, and gets one the next time that runs. Nothing here reads or writes checkpoints itself
(gen_core.checkpoints calls it), so the two never import each other.
"""
from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path

README, HISTORY = "README.md", "history.csv"
LICENSE_ID = "mit"  # GenLab's code and its trained weights (LICENSE); the data's own licences are in the body
HUB_DATASETS = {"fashion-mnist": "zalando-datasets/fashion_mnist", "mnist": "ylecun/mnist"}
DATA_NOTES = {
    "digits": "scikit-learn's 1,797 8x8 handwritten digits (UCI Optical Recognition of Handwritten Digits, "
              "CC BY 4.0), split 80/20 with a fixed seed",
    "fashion-mnist": "Zalando's Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017; MIT licence): 60,000 training and "
                     "10,000 test images, 28x28 grey, 10 classes",
    "mnist": "MNIST (LeCun, Cortes and Burges), 28x28 grey digits",
    "shapes": "GenLab's procedural shapes (generated, no licence needed)",
}
FAMILY_NOTES = {
    "vae": "a variational autoencoder (Kingma and Welling, 2014): encoder q(z|x), decoder p(x|z), trained on the ELBO",
    "gan": "a generative adversarial network (Goodfellow et al., 2014): generator and discriminator trained against "
           "each other",
    "dcgan": "a deep convolutional GAN (Radford et al., 2016)",
    "cgan": "a class-conditional GAN with an auxiliary classifier (Mirza and Osindero, 2014; Odena et al., 2017)",
    "biggan": "a BigGAN-style class-conditional GAN (Brock et al., 2019): shared class embeddings, hinge loss, "
              "truncation",
    "sagan": "a self-attention GAN (Zhang et al., 2019)",
    "stylegan": "a StyleGAN-style generator (Karras et al., 2019): a mapping network and per-layer styles",
    "ddpm": "a denoising diffusion probabilistic model (Ho et al., 2020): a network that predicts the noise added "
            "at each of T steps",
    "ldm": "a latent diffusion model (Rombach et al., 2022): diffusion in a VAE's latent space",
    "glow": "a Glow normalizing flow (Kingma and Dhariwal, 2018): exact likelihood by invertible layers",
    "flow": "a RealNVP normalizing flow (Dinh et al., 2017) on 2-D points",
    "pixelcnn": "a PixelCNN (van den Oord et al., 2016): an autoregressive model of pixels in raster order",
    "ebm": "an energy-based model sampled by Langevin dynamics (Du and Mordatch, 2019)",
    "cyclegan": "a CycleGAN (Zhu et al., 2017): unpaired translation between two image domains",
    "d3pm": "a discrete diffusion model (Austin et al., 2021) on binary pixels",
    "vdm": "a variational diffusion model (Kingma et al., 2021) with a learned noise schedule",
    "hmm": "a hidden Markov model fitted by Baum-Welch (hmmlearn)",
    "rnn": "a recurrent network trained to predict the next symbol or value",
    "srdiff": "a super-resolution diffusion stage of a cascade (Ho et al., 2022)",
    "ardm": "an order-agnostic autoregressive diffusion model (Hoogeboom et al., 2022)",
}


def genlab_version() -> str:
    from gen_core import __version__
    return __version__


def git_commit(folder: Path | None = None) -> str | None:
    """The checkout's commit (with "-dirty" when files differ from it), or None outside a git checkout."""
    folder = folder or Path(__file__).resolve().parent.parent
    if not (folder / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=folder,
                               capture_output=True, text=True, timeout=10)
        return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        return None


def provenance() -> dict:
    """What a new card records about the software and the run that made it."""
    import torch
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    return {"genlab_version": genlab_version(), "torch_version": torch.__version__, "git_commit": git_commit(),
            "world_size": world}


# --- YAML front matter (a small emitter: scalars are written as JSON, which YAML reads) --------------------------

def _yaml(value, indent: int = 0) -> list[str]:
    pad = " " * indent
    lines = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(_yaml(item, indent + 2))
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                inner = _yaml(item, indent + 2)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines.extend(inner[1:])
            else:
                lines.append(f"{pad}- {_scalar(item)}")
    return lines


def _scalar(value) -> str:
    if isinstance(value, (dict, list)):
        return "{}" if isinstance(value, dict) else "[]"
    return json.dumps(value, ensure_ascii=False)


def _numbers(metrics: dict) -> dict:
    return {k: v for k, v in metrics.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def front_matter(name: str, card: dict) -> dict:
    data = card.get("dataset", {})
    data_name = data.get("name", "?")
    family = card.get("family", "?")
    task = "unconditional-image-generation" if data.get("kind", "image") == "image" else "other"
    meta = {
        "license": LICENSE_ID,
        "library_name": "genlab",
        "tags": ["genlab", "generative", family, data_name.split(":")[0], "pytorch", "safetensors"],
        "pipeline_tag": task if task != "other" else None,
    }
    if data_name in HUB_DATASETS:
        meta["datasets"] = [HUB_DATASETS[data_name]]
    metrics = _numbers(card.get("metrics", {}))
    if metrics:
        meta["model-index"] = [{"name": name, "results": [{
            "task": {"type": task, "name": f"{family} on {data_name}"},
            "dataset": {"name": data_name, "type": HUB_DATASETS.get(data_name, data_name), "split": "test"},
            "metrics": [{"type": key, "name": key.replace("_", " "), "value": round(float(value), 6)}
                        for key, value in metrics.items()],
        }]}]
    return {k: v for k, v in meta.items() if v is not None}


def render(name: str, card: dict) -> str:
    """The README.md of a checkpoint named `name` with this card."""
    data = card.get("dataset", {})
    data_name = data.get("name", "?")
    family = card.get("family", "?")
    config = card.get("config", {})
    shape = "x".join(str(n) for n in data.get("shape", [])) or "?"
    what = FAMILY_NOTES.get(family, f"a GenLab {family} model")
    classes = f", {len(data['class_names'])} classes" if data.get("class_names") else ""
    lines = ["---", *_yaml(front_matter(name, card)), "---", "", f"# {name}", "",
             f"{what[0].upper()}{what[1:]}. GenLab trained it on **{data_name}** (samples of shape {shape}{classes}).",
             ""]
    lines += ["## Intended use", "",
              "Teaching and exploring generative models: sampling, latent walks, diffusion steps and metrics in the "
              "GenLab app, its command lines and notebooks. Small on purpose, so it trains and samples on a laptop CPU.",
              "", "## Limitations", "",
              "- Trained at a teaching scale: its samples are recognisable but far from the state of the art; do not "
              "use them as data for decisions about people or as evidence about the data set.",
              f"- It knows only {data_name}: other images are out of its distribution (the VAE Explorer's anomaly "
              f"check shows what that does to its likelihood).",
              "- Metrics below were measured on the test split with GenLab's own estimators; compare them with "
              "other GenLab models on the same data, not with published figures measured otherwise.", ""]
    lines += ["## Training data", "", DATA_NOTES.get(data_name.split(":")[0], f"{data_name} (see GenLab's README)")
              + (f"; {data['num_train']:,} training examples." if data.get("num_train") else "."), ""]
    world = card.get("world_size", 1) or 1
    command = card.get("command") or "(not recorded)"
    lines += ["## Training", "", "```", command, "```", ""]
    facts = [("steps", card.get("steps")), ("epochs", card.get("epochs")), ("seed", card.get("seed")),
             ("seconds", card.get("train_seconds")), ("device", card.get("device")),
             ("processes", f"{world} (torchrun, DistributedDataParallel)" if world > 1 else "1"),
             ("GenLab", card.get("genlab_version", "before 0.4 (not recorded)")),
             ("torch", card.get("torch_version", "not recorded")),
             ("git commit", card.get("git_commit") or "not recorded"), ("created", card.get("created"))]
    lines += [f"- {k}: {v}" for k, v in facts if v is not None] + [""]
    if config:
        lines += ["Configuration (card.json `config`):", "", "| field | value |", "|---|---|"]
        lines += [f"| {k} | {json.dumps(v)} |" for k, v in config.items()] + [""]
    metrics = card.get("metrics", {})
    if metrics:
        lines += ["## Evaluation (test split)", "", "| metric | value |", "|---|---|"]
        lines += [f"| {k} | {v:.4g} |" if isinstance(v, float) else f"| {k} | {v} |" for k, v in metrics.items()]
        lines += [""]
    lines += ["## How to use", "", "```python", "from gen_core.core import InferenceCore", "",
              "core = InferenceCore()  # CUDA when present, else the CPU",
              f"images = core.sample({name!r}, 16, seed=0)  # or the folder's path", "```", "",
              "```", f"genlab-sample {name} --n 64 --out samples.png", "```", "",
              "Files: `weights.safetensors` (the state dict; its header carries the family and config), `card.json` "
              "(how to rebuild the model), `history.csv` (the training curves), this README.", ""]
    return "\n".join(lines)


def history_csv(history: dict) -> str:
    """The card's per-step history as CSV, one row per recorded step (a metric recorded late is blank before)."""
    steps = history.get("step", [])
    keys = [k for k in history if k != "step"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step", *keys])
    for i, step in enumerate(steps):
        row = [step]
        for key in keys:
            values = history[key]
            j = i - (len(steps) - len(values))  # aligned at the end
            row.append(values[j] if 0 <= j < len(values) else "")
        writer.writerow(row)
    return out.getvalue()


def write(folder: Path, card: dict, name: str | None = None) -> None:
    """(Re)write a checkpoint folder's README.md and history.csv from its card (`name`: the checkpoint's name when
    the folder is a save's temporary one)."""
    folder = Path(folder)
    (folder / README).write_text(render(name or folder.name, card), encoding="utf-8")
    (folder / HISTORY).write_text(history_csv(card.get("history", {})), encoding="utf-8")
