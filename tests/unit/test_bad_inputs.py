"""Every bad input GenLab is known to meet, in one place: command lines, checkpoint cards, data, disk faults, URL
parameters and what visitors type or upload.

The promise (README, "Bad input and faults"): one clear line (`error: ...` and exit code 2 on the command lines, a
warning or an error in the app with the page still running), no traceback, every file as it was, nothing
half-written, nothing non-finite saved. Each row of each table below is one bad input; `test_the_catalogue_is_
complete` counts them.
"""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from gen_core.models import load_checkpoint
from gen_core import checkpoints, embed, sample, train
from gen_core.data import load_card_dataset, load_dataset
from gen_core.errors import GenLabError, TrainingDiverged
from gen_core.models import vae
from ui.text import shown

from tests.faults import DELETE, ROOT, edit, one_line_error, save_vae, shipped_state, tree  # noqa: F401


# --- 1. python -m gen_core.train --------------------------------------------------------------------------------

TRAIN = [
    # names
    (["gan9000", "--dataset", "digits"], "unknown family 'gan9000'"),
    (["", "--dataset", "digits"], "unknown family ''"),
    (["vae", "--dataset", "cifar"], "unknown dataset 'cifar'"),
    (["vae", "--dataset", "Digits"], "unknown dataset 'Digits'"),
    (["flow", "--dataset", "digits"], "trains on points data"),
    (["pixelcnn", "--dataset", "ring8"], "trains on image data"),
    (["hmm", "--dataset", "digits"], "trains on sequence data"),
    (["rnn", "--dataset", "digits"], "trains on text or sequence data"),
    (["vae", "--dataset", "text:genesis"], "trains on image or points data"),
    (["rnn", "--dataset", "text:nope"], "unknown text 'nope'"),
    (["pixelcnn", "--dataset", "digits", "--set", "first_kernel=4"], "first_kernel must be odd"),
    (["glow", "--dataset", "digits", "--set", "num_scales=4"], "num_scales must be 1..6 and halve"),
    (["glow", "--dataset", "digits", "--set", "levels=1"], "levels must be 2..256"),
    (["rnn", "--dataset", "text:genesis", "--set", "vocabulary=aa"], "each character once"),
    (["hmm", "--dataset", "series", "--set", "num_states=0"], "num_states must be 1..32"),
    (["cyclegan", "--dataset", "ring8"], "trains on image data"),
    (["vae", "--dataset", "digits", "--device", "tpu"], "unknown device"),
    (["vae", "--dataset", "digits", "--device", "cuda:99"], "cuda"),
    # data
    (["vae", "--dataset", "mnist", "--data-root", "/nonexistent/mnist"], "/nonexistent/mnist/MNIST/raw"),
    (["vae", "--dataset", "fashion-mnist", "--data-root", "/nonexistent/f"], "/nonexistent/f/FashionMNIST/raw"),
    (["vae", "--dataset", "folder:/nonexistent/images"], "does not exist"),
    (["vae", "--dataset", "folder:"], "folder: needs a path"),
    (["vae", "--dataset", "folder:   "], "folder: needs a path"),
    # --set syntax
    (["vae", "--dataset", "digits", "--set", "colour=red"], "colour=red"),
    (["vae", "--dataset", "digits", "--set", "latent_dim"], "expected KEY=VALUE"),
    (["vae", "--dataset", "digits", "--set", "=3"], "expected KEY=VALUE"),
    (["vae", "--dataset", "digits", "--set", "latent_dim=two"], "not a valid int"),
    (["vae", "--dataset", "digits", "--set", "latent_dim=1.5"], "not a valid int"),
    (["vae", "--dataset", "digits", "--set", "beta=lots"], "not a valid float"),
    (["vae", "--dataset", "digits", "--set", "image_shape=a,b"], "not a valid tuple"),
    (["ddpm", "--dataset", "digits", "--set", "timesteps=1e9"], "not a valid int"),
    # values out of range
    (["vae", "--dataset", "digits", "--set", "latent_dim=0"], "bad config"),
    (["vae", "--dataset", "digits", "--set", "latent_dim=-3"], "bad config"),
    (["vae", "--dataset", "digits", "--set", "batch_size=0"], "bad config"),
    (["vae", "--dataset", "digits", "--set", "beta=-1"], "bad config"),
    (["vae", "--dataset", "digits", "--set", "kl_warmup=-1"], "bad config"),
    (["vae", "--dataset", "digits", "--set", "channels=0"], "bad config"),
    (["vae", "--dataset", "digits", "--set", "data_scale=0"], "bad config"),
    (["vae", "--dataset", "digits", "--epochs", "0"], "at least 1"),
    (["vae", "--dataset", "digits", "--epochs", "-5"], "at least 1"),
    (["vae", "--dataset", "digits", "--seed", "-1"], "--seed must be a whole number"),
    (["vae", "--dataset", "digits", "--seed", "99999999999999999999"], "--seed must be a whole number"),
    # values that are not finite, or diverge at once
    (["vae", "--dataset", "digits", "--set", "beta=inf"], "beta must be a finite number"),
    (["vae", "--dataset", "digits", "--set", "beta=nan"], "beta must be a finite number"),
    (["vae", "--dataset", "digits", "--set", "lr=inf"], "lr must be a finite number"),
    (["vae", "--dataset", "digits", "--set", "lr=nan"], "lr must be a finite number"),
    (["vae", "--dataset", "digits", "--set", "lr=1e4"], "lr must be in (0, 1]"),
    (["vae", "--dataset", "digits", "--set", "lr=0"], "lr must be in (0, 1]"),
    (["gan", "--dataset", "ring8", "--set", "data_scale=nan"], "data_scale must be a finite number"),
    (["gan", "--dataset", "digits", "--set", "lr_g=-1"], "lr_g must be in (0, 1]"),
    (["gan", "--dataset", "digits", "--set", "lr_d=-inf"], "lr_d must be a finite number"),
    (["gan", "--dataset", "digits", "--set", "beta1=1"], "beta1"),
    (["gan", "--dataset", "digits", "--set", "beta1=-0.5"], "beta1"),
    (["gan", "--dataset", "digits", "--set", "gp_weight=-1"], "gp_weight"),
    (["gan", "--dataset", "digits", "--set", "z_dim=0"], "bad config"),
    (["gan", "--dataset", "digits", "--set", "d_steps=0"], "bad config"),
    (["gan", "--dataset", "digits", "--set", "loss=least-squares"], "unknown loss"),
    (["gan", "--dataset", "digits", "--set", "arch=resnet"], "unknown arch"),
    (["gan", "--dataset", "ring8", "--set", "pack=3"], "packing"),
    (["gan", "--dataset", "ring8", "--set", "arch=dcgan"], "needs images"),
    (["gan", "--dataset", "digits", "--set", "arch=progressive", "--set", "grow_steps=0"], "grow_steps"),
    (["cgan", "--dataset", "digits", "--set", "num_classes=-1"], "bad config"),
    (["ddpm", "--dataset", "digits", "--set", "schedule=quadratic"], "schedule must be one of"),
    (["ddpm", "--dataset", "digits", "--set", "timesteps=1"], "timesteps must be 2.."),
    (["ddpm", "--dataset", "digits", "--set", "timesteps=1000000000"], "timesteps must be 2.."),
    (["ddpm", "--dataset", "digits", "--set", "p_uncond=1"], "p_uncond"),
    (["ddpm", "--dataset", "digits", "--set", "ema_decay=1"], "ema_decay"),
    (["ddpm", "--dataset", "digits", "--set", "channels=4"], "channels must be >= 8, got 4"),
    (["ddpm", "--dataset", "moons", "--set", "data_scale=-1"], "data_scale"),
    (["cyclegan", "--dataset", "digits", "--set", "transform=flip"], "unknown transform"),
    (["cyclegan", "--dataset", "digits", "--set", "cycle_weight=-1"], "cycle_weight"),
    (["cyclegan", "--dataset", "digits", "--set", "batch_size=1"], "batch_size must be >= 2, got 1"),
    (["flow", "--dataset", "ring8", "--set", "num_layers=0"], "num_layers"),
    (["flow", "--dataset", "ring8", "--set", "lr=2"], "lr must be in (0, 1]"),
    (["ebm", "--dataset", "ring8", "--set", "langevin_steps=0"], "langevin_steps"),
    (["ebm", "--dataset", "ring8", "--set", "restart=2"], "restart"),
    (["ebm", "--dataset", "ring8", "--set", "step_size=0"], "step_size"),
    (["ldm", "--dataset", "digits", "--set", "vae=gan-digits"], "not a vae"),
    (["ldm", "--dataset", "digits", "--set", "vae=no-such-vae"], "no checkpoint named"),
    (["ldm", "--dataset", "shapes", "--set", "vae=vae-digits"], "trained on digits"),
    # sizes that cannot fit
    (["vae", "--dataset", "digits", "--set", "channels=100000"], "of memory to train"),
    (["gan", "--dataset", "digits", "--set", "width=100000"], "of memory to train"),
    (["dcgan", "--dataset", "digits", "--set", "width=100000"], "of memory to train"),
    (["ddpm", "--dataset", "digits", "--set", "channels=100000"], "of memory to train"),
    (["flow", "--dataset", "ring8", "--set", "hidden=10000000"], "of memory to train"),
    (["vae", "--dataset", "digits", "--set", "latent_dim=1000000000"], "of memory to train"),
    # shapes that do not match the data
    (["vae", "--dataset", "digits", "--set", "image_shape=3,16,16"], "does not match digits"),
    (["gan", "--dataset", "digits", "--set", "data_shape=1,28,28"], "does not match digits"),
    (["ddpm", "--dataset", "moons", "--set", "image_shape=3"], "does not match moons"),
]


@pytest.mark.parametrize("argv, message", TRAIN, ids=[" ".join(a) for a, _ in TRAIN])
def test_train_refuses_in_one_line(argv, message, capsys, home, tmp_path):
    out = tmp_path / "out"
    before_home, before_shipped = tree(home), shipped_state()
    assert train.main(argv + ["--out", str(out)]) == 2
    assert message in one_line_error(capsys)
    assert not out.exists()
    assert tree(home) == before_home and shipped_state() == before_shipped


def test_train_usage_errors_exit_2_without_a_traceback(capsys, tmp_path):
    for argv in (["vae"], ["vae", "--dataset", "digits", "--epochs", "ten"], ["vae", "--dataset", "digits",
                                                                             "--seed", "1.5"]):
        with pytest.raises(SystemExit) as stop:
            train.main(argv + ["--out", str(tmp_path / "out")])
        assert stop.value.code == 2
        err = capsys.readouterr().err
        assert "error:" in err.splitlines()[-1] and "Traceback" not in err
    assert not (tmp_path / "out").exists()


# --- 2. --out and --overwrite: nothing but a checkpoint is ever replaced ----------------------------------------

def thesis_folder(tmp_path):
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("Four years of work.")
    return folder


def damaged_checkpoint(tmp_path):
    folder = tmp_path / "damaged"
    folder.mkdir()
    (folder / checkpoints.CARD).write_text('{"format_version": 1, "family": "vae"')
    (folder / "notes.txt").write_text("keep me")
    return folder


def a_file(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text("a,b\n1,2\n")
    return path


def a_link(tmp_path):
    target = save_vae(tmp_path / "real")
    link = tmp_path / "link"
    link.symlink_to(target)
    return link


OVERWRITE = [
    (thesis_folder, True, "is not a GenLab checkpoint"),
    (thesis_folder, False, "already exists"),
    (damaged_checkpoint, True, "is not a GenLab checkpoint"),
    (a_file, True, "is not a GenLab checkpoint"),
    (a_file, False, "already exists"),
    (a_link, True, "is not a GenLab checkpoint"),
    (lambda tmp: save_vae(tmp / "ck"), False, "already exists"),
]


@pytest.mark.parametrize("make, overwrite, message", OVERWRITE,
                         ids=[f"{m.__name__}-{'overwrite' if o else 'plain'}" for m, o, _ in OVERWRITE])
def test_overwrite_replaces_only_checkpoints(make, overwrite, message, capsys, home, tmp_path):
    target = make(tmp_path)
    before = tree(tmp_path)
    argv = ["vae", "--dataset", "digits", "--epochs", "1", "--out", str(target)] + (["--overwrite"] if overwrite else [])
    assert train.main(argv) == 2
    assert message in one_line_error(capsys)
    assert tree(tmp_path) == before


def test_overwrite_replaces_a_checkpoint(capsys, home, tmp_path):
    old = save_vae(tmp_path / "mine" / "ck")
    assert train.main(["vae", "--dataset", "digits", "--epochs", "1", "--out", str(old), "--overwrite"]) == 0
    assert checkpoints.read_card(old)["steps"] == 90
    assert sorted(p.name for p in old.parent.iterdir()) == ["ck"]  # no hidden leftovers


# --- 3. full disks and read-only folders -------------------------------------------------------------------------

def failing(code):
    def fail(*args, **kwargs):
        raise OSError(code, os.strerror(code))
    return fail


DISK = [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT]


@pytest.mark.parametrize("code", DISK, ids=[errno.errorcode[c] for c in DISK])
def test_checkpoint_save_on_a_bad_disk_keeps_the_old_one(code, monkeypatch, tmp_path):
    old = save_vae(tmp_path / "ck")
    before = tree(tmp_path)
    monkeypatch.setattr(checkpoints, "save_file", failing(code))
    model = vae.build(vae.Config(latent_dim=3, channels=4))
    card = checkpoints.read_card(old)
    with pytest.raises(GenLabError, match=f"could not write the checkpoint .*{os.strerror(code)}"):
        checkpoints.save(old, model, card, overwrite=True)
    assert tree(tmp_path) == before  # the old checkpoint whole, and no .tmp folder left


def test_training_on_a_full_disk_is_one_line(monkeypatch, capsys, home, tmp_path):
    monkeypatch.setattr(checkpoints, "save_file", failing(errno.ENOSPC))
    assert train.main(["vae", "--dataset", "digits", "--epochs", "1", "--out", str(tmp_path / "new")]) == 2
    assert "No space left on device" in one_line_error(capsys)
    assert list(tmp_path.iterdir()) == [home]


@pytest.mark.parametrize("suffix", [".png", ".npy"])
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_sample_on_a_bad_disk_leaves_nothing(suffix, code, monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(np, "save", failing(code))
    monkeypatch.setattr(Image.Image, "save", failing(code))
    assert sample.main(["vae-digits", "--n", "4", "--out", str(tmp_path / f"s{suffix}")]) == 2
    assert os.strerror(code) in one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_embed_on_a_bad_disk_keeps_the_maps_there(code, monkeypatch, capsys, home, tmp_path):
    path = save_vae(tmp_path / "ck")
    assert embed.main([str(path), "--methods", "pca"]) == 0
    capsys.readouterr()
    before = tree(tmp_path)
    monkeypatch.setattr(np, "savez_compressed", failing(code))
    assert embed.main([str(path), "--methods", "pca"]) == 2
    assert os.strerror(code) in one_line_error(capsys)
    assert tree(tmp_path) == before  # the old map whole, no partial projections/.*.npz


# --- 4. training that diverges -----------------------------------------------------------------------------------

def test_a_diverging_training_saves_nothing(capsys, home, tmp_path):
    """A real divergence: RealNVP at lr = 1 sends its log-likelihood past 1e15 within a few steps."""
    assert train.main(["flow", "--dataset", "ring8", "--epochs", "2", "--set", "lr=1",
                       "--out", str(tmp_path / "out")]) == 2
    assert "training diverged at step" in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf"), 1e30])
def test_training_stops_at_the_first_bad_loss(bad, monkeypatch):
    from gen_core.models import flow
    real_step = flow.Trainer.step
    calls = []

    def step(self, x, y, generator=None):
        calls.append(1)
        metrics = real_step(self, x, y, generator)
        return {**metrics, "nll": bad} if len(calls) == 3 else metrics

    monkeypatch.setattr(flow.Trainer, "step", step)
    with pytest.raises(TrainingDiverged, match="at step 3 of"):
        train.train("flow", load_dataset("ring8"), epochs=2)
    assert len(calls) == 3


def test_training_stops_when_a_weight_goes_bad(monkeypatch):
    from gen_core.models import flow
    monkeypatch.setattr(train, "WEIGHT_CHECK_EVERY", 1)
    real_step = flow.Trainer.step

    def step(self, x, y, generator=None):
        metrics = real_step(self, x, y, generator)
        with torch.no_grad():
            next(self.model.parameters()).fill_(float("nan"))  # the losses still look finite this step
        return metrics

    monkeypatch.setattr(flow.Trainer, "step", step)
    with pytest.raises(TrainingDiverged, match="at step 1 of .*weight .* NaN or inf"):
        train.train("flow", load_dataset("ring8"), epochs=1)


def test_nan_weights_are_never_saved(tmp_path):
    model = vae.build(vae.Config(latent_dim=3, channels=4))
    with torch.no_grad():
        next(model.parameters()).fill_(float("inf"))
    card = checkpoints.make_card(family="vae", config=model.config, dataset={"name": "digits"}, command="",
                                 steps=1, metrics={})
    with pytest.raises(GenLabError, match="NaN or inf"):
        checkpoints.save(tmp_path / "ck", model, card)
    assert list(tmp_path.iterdir()) == []


def test_the_playground_says_when_a_live_model_diverges(monkeypatch):
    from gen_core.labs import playground
    from gen_core.models import flow
    model = playground.LiveModel.from_preset("Flow (RealNVP)", load_dataset("ring8"))
    monkeypatch.setattr(flow.Trainer, "step", lambda self, x, y, g=None: {"nll": float("nan")})
    with pytest.raises(TrainingDiverged, match=r"Flow \(RealNVP\) diverged at step 1 \(nll = nan\)"):
        model.train(5)


# --- 5. python -m gen_core.sample ---------------------------------------------------------------------------------

def out_folder_named_png(tmp_path):
    (tmp_path / "x.png").mkdir()
    return str(tmp_path / "x.png")


SAMPLE = [
    (["no-such-model"], "no checkpoint"),
    (["/etc"], "is not a checkpoint: it has no card.json"),
    (["/nonexistent/ck"], "no checkpoint named or at"),
    (["vae-digits", "--seed", "99999999999999999999"], "--seed must be a whole number"),
    (["vae-digits", "--seed", "-1"], "--seed must be a whole number"),
    (["vae-digits", "--n", "0"], "--n"),
    (["vae-digits", "--n", "-3"], "--n"),
    (["vae-digits", "--n", "100001"], "--n"),
    (["vae-digits", "--label", "3"], "unconditional"),
    (["cgan-digits", "--label", "10"], "out of range"),
    (["cgan-digits", "--label", "-1"], "out of range"),
    (["vae-digits", "--steps", "10"], "apply to diffusion models"),
    (["d3pm-digits-binary", "--steps", "10"], "apply to diffusion models"),  # D3PM has T steps, not DDIM's
    (["ddpm-digits", "--guidance", "3"], "give --label too"),
    (["ddpm-digits", "--steps", "0"], "--steps must be between 1"),
    (["ddpm-digits", "--steps", "5000"], "--steps must be between 1"),
    (["ddpm-digits", "--sampler", "ddpm", "--steps", "10"], "visits all"),
    (["ddpm-digits", "--eta", "2"], "--eta must be between 0 and 1"),
    (["ddpm-digits", "--label", "3", "--guidance", "50"], "--guidance must be between 0 and 20"),
    (["vae-digits", "--device", "tpu"], "unknown device"),
    (["rnn-genesis"], "a text model writes .txt or .npy files"),
    (["hmm-series"], "a sequence model writes .npy files"),
    (["pixelcnn-digits-binary", "--label", "1"], "unconditional"),
]
SAMPLE_OUT = [
    ("a.jpg", ".png or .npy"),
    ("a", ".png or .npy"),
    ("nowhere/a.png", "does not exist"),
    (out_folder_named_png, "is a folder"),
]


@pytest.mark.parametrize("argv, message", SAMPLE, ids=[" ".join(a) for a, _ in SAMPLE])
def test_sample_refuses_in_one_line(argv, message, capsys, tmp_path):
    before = shipped_state()
    assert sample.main(argv + ["--out", str(tmp_path / "s.png")]) == 2
    assert message in one_line_error(capsys)
    assert list(tmp_path.iterdir()) == [] and shipped_state() == before


@pytest.mark.parametrize("out, message", SAMPLE_OUT, ids=["jpg", "no suffix", "missing folder", "folder"])
def test_sample_refuses_bad_out_paths(out, message, capsys, tmp_path):
    target = out(tmp_path) if callable(out) else str(tmp_path / out)
    before = tree(tmp_path)
    assert sample.main(["vae-digits", "--n", "4", "--out", target]) == 2
    assert message in one_line_error(capsys)
    assert tree(tmp_path) == before


# --- 6. checkpoint cards and weights ------------------------------------------------------------------------------

CARDS = [
    ("family", ["vae"], "family: ['vae'] is not of type 'string'"),
    ("family", "", "family"),
    ("family", "vae9000", "unknown family 'vae9000'"),
    ("family", DELETE, "lacks one of"),
    ("dataset", "digits", "dataset: 'digits' is not of type 'object'"),
    ("dataset.name", 5, "dataset.name: 5 is not of type 'string'"),
    ("dataset.kind", "audio", "dataset.kind"),
    ("dataset.shape", [1, -8, 8], "dataset.shape"),
    ("dataset.class_names", "0123456789", "dataset.class_names"),
    ("metrics", "oops", "metrics: 'oops' is not of type 'object'"),
    ("history", [1, 2], "history"),
    ("history.loss", "down", "history.loss"),
    ("created", 5, "created: 5 is not of type 'string'"),
    ("steps", -1, "steps"),
    ("steps", "many", "steps"),
    ("command", ["rm", "-rf"], "command"),
    ("weights_sha256", "xyz", "weights_sha256"),
    ("format_version", 2, "card format 2"),
    ("format_version", "1", "format_version"),
    ("config", [1, 2], "config: [1, 2] is not of type 'object'"),
    ("config.colour", "red", "unknown field(s) colour"),
    ("config.latent_dim", 1e9, "latent_dim must be a whole number"),
    ("config.latent_dim", "16", "latent_dim must be a whole number"),
    ("config.latent_dim", True, "latent_dim must be a whole number"),
    ("config.latent_dim", 10**9, "of memory to load"),
    ("config.beta", float("nan"), "beta must be a finite number"),
    ("config.lr", -1.0, "lr must be in (0, 1]"),
    ("config.image_shape", [1, 2e5, 2e5], "image_shape must be whole numbers"),
    ("config.image_shape", [1, 200000, 200000], "of memory to load"),
    ("config.channels", 100000, "of memory to load"),
    ("config.image_shape", [], "image_shape must be"),
    ("config.latent_dim", DELETE, "does not fit the model its card describes"),
]


@pytest.mark.parametrize("where, value, message", CARDS, ids=[f"{w}={v!r:.20}" for w, v, _ in CARDS])
def test_a_bad_card_is_listed_as_damaged_and_refused(where, value, message, capsys, home):
    good = save_vae(checkpoints.user_dir() / "good")
    bad = save_vae(checkpoints.user_dir() / "bad")
    card = edit(json.loads((bad / checkpoints.CARD).read_text()), where, value)
    (bad / checkpoints.CARD).write_text(json.dumps(card))
    before = tree(home)

    assert checkpoints.main([]) == 0  # the listing goes on: every other checkpoint is listed
    listing = capsys.readouterr().out
    assert "vae-digits" in listing and "good" in listing
    damaged = [line for line in listing.splitlines() if line.startswith("bad ")]
    if "card format" in message or "memory" in message or where.startswith("config") or where == "family":
        pass  # a card that is well-formed but describes a model this GenLab cannot build: refused at load
    else:
        assert damaged and "DAMAGED" in damaged[0] and message in damaged[0], damaged
    assert sample.main([str(bad), "--out", str(home / "s.png")]) == 2
    assert message in one_line_error(capsys)
    assert tree(home) == before


RAW_CARDS = [
    (b"", "not readable JSON"),
    (b'{"format_version": 1, "family": "vae"', "not readable JSON"),
    (b"[1, 2, 3]", "lacks one of"),
    (b'"just a string"', "lacks one of"),
    (b"null", "lacks one of"),
    (b"\xff\xfe\x00garbage", "not readable JSON"),
    (b'{"format_version": 1}', "lacks one of"),
]


@pytest.mark.parametrize("raw, message", RAW_CARDS, ids=[repr(r[:12]) for r, _ in RAW_CARDS])
def test_an_unreadable_card_never_breaks_the_listing(raw, message, capsys, home):
    bad = save_vae(checkpoints.user_dir() / "bad")
    (bad / checkpoints.CARD).write_bytes(raw)
    assert checkpoints.main(["--json"]) == 0
    listed = {entry["name"]: entry["card"] for entry in json.loads(capsys.readouterr().out)}
    assert message in listed["bad"]["error"] and "family" in listed["vae-digits"]
    assert sample.main(["bad", "--out", str(home / "s.png")]) == 2
    assert message in one_line_error(capsys)


WEIGHTS = [
    ("truncated", "truncated or altered"),
    ("missing", "has a card but no"),
    ("nan", "holds NaN or inf"),
    ("swapped", "does not fit the model"),
    ("garbage", "truncated or altered"),
]


@pytest.mark.parametrize("damage, message", WEIGHTS, ids=[d for d, _ in WEIGHTS])
def test_bad_weights_are_refused_by_sample_and_embed(damage, message, capsys, tmp_path):
    path = save_vae(tmp_path / "ck", corrupt="nan" if damage == "nan" else None)
    weights = path / checkpoints.WEIGHTS
    if damage == "truncated":
        weights.write_bytes(weights.read_bytes()[:500])
    elif damage == "missing":
        weights.unlink()
    elif damage == "garbage":
        weights.write_bytes(b"\x00" * 100)
    elif damage == "swapped":
        other = save_vae(tmp_path / "other", latent_dim=5)
        weights.write_bytes((other / checkpoints.WEIGHTS).read_bytes())
        card = json.loads((path / checkpoints.CARD).read_text())
        card["weights_sha256"] = checkpoints.file_sha256(weights)
        (path / checkpoints.CARD).write_text(json.dumps(card))
    before = tree(tmp_path)
    assert sample.main([str(path), "--out", str(tmp_path / "s.npy")]) == 2
    assert message in one_line_error(capsys)
    assert embed.main([str(path), "--methods", "pca"]) == 2
    assert message in one_line_error(capsys)
    assert tree(tmp_path) == before


def test_nan_samples_are_never_written(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(vae, "sample", lambda model, n, generator, label=None: torch.full((n, 1, 8, 8), float("nan")))
    assert sample.main(["vae-digits", "--n", "4", "--out", str(tmp_path / "s.npy")]) == 2
    assert "NaN or infinite samples" in one_line_error(capsys)
    assert list(tmp_path.iterdir()) == []


# --- 7. python -m gen_core.embed ---------------------------------------------------------------------------------

EMBED = [
    (["gan-digits"], "latent maps are made for VAEs only"),
    (["ddpm-digits"], "latent maps are made for VAEs only"),
    (["no-such-model"], "no checkpoint"),
    (["/etc"], "it has no card.json"),
    (["vae-digits", "--methods", "umap,mds"], "unknown projection 'mds'"),
    (["vae-digits", "--methods", "latent"], "needs a 2-D latent space"),
]


@pytest.mark.parametrize("argv, message", EMBED, ids=[" ".join(a) for a, _ in EMBED])
def test_embed_refuses_in_one_line(argv, message, capsys, home):
    before = shipped_state()
    assert embed.main(argv) == 2
    assert message in one_line_error(capsys)
    assert shipped_state() == before


@pytest.mark.parametrize("escape", ["../../../../usr/share", "/usr/share", "link"])
def test_a_card_cannot_make_the_server_read_another_folder(escape, capsys, home, tmp_path):
    """The dataset a card names decides which folder is read: only the allowed data roots may be."""
    if escape == "link":
        root = home / "data"
        root.mkdir(parents=True)
        (root / "pictures").symlink_to("/usr/share")
        escape = str(root / "pictures")
    path = save_vae(tmp_path / "ck", dataset={"name": f"folder:{escape}", "kind": "image"})
    assert embed.main([str(path), "--methods", "pca"]) == 2
    assert "outside the data folders this server reads" in one_line_error(capsys)
    with pytest.raises(GenLabError, match="GENLAB_DATA_ROOTS"):
        load_card_dataset(f"folder:{escape}")


def test_allowed_data_roots_are_read(home, monkeypatch, tmp_path):
    for root in (home / "data" / "mine", tmp_path / "class-data"):
        for label in ("a", "b"):
            (root / label).mkdir(parents=True)
            for k in range(5):
                Image.new("L", (8, 8), 40 * k).save(root / label / f"{k}.png")
    assert len(load_card_dataset(f"folder:{home / 'data' / 'mine'}").x_train) == 8
    with pytest.raises(GenLabError, match="outside the data folders"):
        load_card_dataset(f"folder:{tmp_path / 'class-data'}")
    monkeypatch.setenv("GENLAB_DATA_ROOTS", str(tmp_path / "class-data"))
    assert len(load_card_dataset(f"folder:{tmp_path / 'class-data'}").x_train) == 8


# --- 8. data: image folders and IDX files ------------------------------------------------------------------------

def folder_with(tmp_path, files: dict) -> Path:
    """An image folder: {"class/name.png": Image or bytes or "fifo"}."""
    root = tmp_path / "pictures"
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Image.Image):
            content.save(path)
        elif content == "fifo":
            os.mkfifo(path)
        else:
            path.write_bytes(content)
    root.mkdir(exist_ok=True)
    return root


def bomb() -> bytes:
    """A PNG whose header claims 20000 x 20000 pixels: Pillow refuses it as a decompression bomb."""
    import io
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")
    return buffer.getvalue()


FOLDERS = [
    ({}, "has no class subfolders"),
    ({"a/notes.txt": b"hello"}, "has no readable images"),
    ({"a/only.png": Image.new("L", (8, 8))}, "has 1 readable image(s)"),
    ({"a/x.png": b"not a png", "b/y.jpg": b"\x00" * 10}, "has no readable images"),
    ({"a/bomb.png": "bomb"}, "has no readable images"),
    ({"a/zz.png": "fifo"}, "has no readable images"),
    ({f"a/{k}.png": Image.new("L", (8, 8)) for k in range(5)}, "has 5 readable image(s)"),
]


@pytest.mark.parametrize("files, message", FOLDERS,
                         ids=["empty", "no images", "one image", "broken files", "bomb", "fifo", "five images"])
def test_bad_image_folders_are_one_line(files, message, capsys, home, tmp_path):
    files = {k: bomb() if v == "bomb" else v for k, v in files.items()}
    root = folder_with(tmp_path, files)
    assert train.main(["vae", "--dataset", f"folder:{root}", "--out", str(tmp_path / "out")]) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


def test_a_fifo_and_a_bomb_are_skipped_among_good_pictures(tmp_path):
    files = {f"{label}/{k}.png": Image.new("L", (8, 8), 30 * k) for label in "ab" for k in range(5)}
    files.update({"a/zz.png": "fifo", "b/bomb.png": bomb()})
    data = load_dataset(f"folder:{folder_with(tmp_path, files)}")  # returns: the FIFO is never opened
    assert len(data.x_train) + len(data.x_test) == 10 and "skipped 1" in data.description


def idx(path: Path, kind: str, n: int, *, truncate: bool = False, garbage: bool = False):
    import struct
    if garbage:
        path.write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
        return
    if kind == "images":
        blob = struct.pack(">IIII", 2051, n, 28, 28) + np.zeros(n * 784, np.uint8).tobytes()
    else:
        blob = struct.pack(">II", 2049, n) + np.zeros(n, np.uint8).tobytes()
    path.write_bytes(blob[:len(blob) // 2] if truncate else blob)


@pytest.mark.parametrize("damage", ["random bytes", "truncated images", "truncated labels", "random labels"])
def test_damaged_idx_files_are_reported_as_damaged(damage, capsys, tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for split, n in (("train", 6), ("t10k", 4)):
        idx(raw / f"{split}-images-idx3-ubyte", "images", n, truncate=damage == "truncated images",
            garbage=damage == "random bytes")
        idx(raw / f"{split}-labels-idx1-ubyte", "labels", n, truncate=damage == "truncated labels",
            garbage=damage == "random labels")
    before = tree(tmp_path)
    assert train.main(["vae", "--dataset", "mnist", "--data-root", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    line = one_line_error(capsys)
    assert "damaged or not IDX files" in line and str(raw) in line
    assert tree(tmp_path) == before


# --- 9. a replace killed between its two renames -----------------------------------------------------------------

KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import torch
    from gen_core import checkpoints
    from gen_core.models import vae

    renames = []
    real_rename = Path.rename

    def rename(self, target):
        renames.append(self)
        if len(renames) == 2:  # the old checkpoint is away, the new one not yet in: kill -9 here
            os.kill(os.getpid(), signal.SIGKILL)
        return real_rename(self, target)

    Path.rename = rename
    model = vae.build(vae.Config(latent_dim=5, channels=4))
    card = checkpoints.make_card(family="vae", config=model.config, dataset={"name": "digits", "kind": "image"},
                                 command="killed", steps=1, metrics={})
    checkpoints.save(sys.argv[1], model, card, overwrite=True)
""")


def test_a_replace_killed_between_its_renames_keeps_the_old_checkpoint(home, tmp_path):
    old = save_vae(checkpoints.user_dir() / "mine")
    script = tmp_path / "killed_save.py"
    script.write_text(KILLER)
    done = subprocess.run([sys.executable, str(script), str(old)], cwd=ROOT, capture_output=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert not old.exists()  # the kill really fell between the renames
    hidden = sorted(p.name.split("-")[0] for p in old.parent.iterdir())
    assert hidden == [".mine.old", ".mine.tmp"]

    listed = {info.name: info for info in checkpoints.list_checkpoints()}  # recovers
    assert "error" not in listed["mine"].card and listed["mine"].card["config"]["latent_dim"] == 3
    model, card = load_checkpoint(old)
    assert card["command"].startswith("python -m gen_core.train") and model.config.latent_dim == 3
    assert sorted(p.name for p in old.parent.iterdir()) == ["mine"]  # leftovers cleaned up


def test_a_lookup_by_path_recovers_too(home, tmp_path):
    old = save_vae(tmp_path / "mine" / "ck")
    old.rename(old.parent / ".ck.old-999999999-0123abcd")   # as a killed process left it (pid long gone)
    (old.parent / ".ck.tmp-999999999-4567cdef").mkdir()
    assert checkpoints.resolve(str(old)) == old
    assert sorted(p.name for p in old.parent.iterdir()) == ["ck"]


def test_a_save_in_progress_is_left_alone(home, tmp_path):
    busy = tmp_path / f".ck.tmp-{os.getpid()}-89abcdef"  # this process is alive: it may be writing there
    busy.mkdir()
    checkpoints.recover(tmp_path)
    assert busy.exists()


# --- 10. what visitors type and upload (the pages' own cases: tests/pages/test_bad_page_inputs.py) -------------

def test_an_uploaded_file_name_is_plain_text():
    import io

    from gen_core.data.images import image_from_file
    from ui.text import plain
    upload = io.BytesIO(b"not a picture")
    upload.name = "**x** ![t](http://evil/t.png).png"
    with pytest.raises(GenLabError) as error:
        image_from_file(upload, (1, 8, 8))
    markdown = plain(error.value)
    assert "![" not in markdown and "](" not in markdown and "\\*\\*x\\*\\*" in markdown
    assert "http://evil" not in markdown  # no autolink either
    assert upload.name in shown(markdown)


def test_a_markdown_table_shows_every_cell_as_written():
    """ui.text.markdown_table: a cell with a pipe, a link or markup stays inside its cell and reads as written; a
    missing number reads "—"."""
    import pandas as pd

    from ui.text import markdown_table
    frame = pd.DataFrame({"steps": [3, 4], "note": ["a | b", "**x** [l](http://evil/p)"], "score": [0.5, float("nan")]},
                         index=pd.Index(["GAN", "VAE"], name="model"))
    lines = markdown_table(frame).splitlines()
    assert len(lines) == 4 and lines[1] == "|---|---|---|---|"
    cells = [[shown(cell.strip()) for cell in line.strip().strip("|").split(" | ")] for line in lines[2:]]
    assert cells == [["GAN", "3", "a | b", "0.5"], ["VAE", "4", "**x** [l](http://evil/p)", "—"]]
    assert "](" not in markdown_table(frame) and "**" not in markdown_table(frame)


def test_the_server_limits_are_set_on_purpose():
    import tomllib
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] == 20
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True
    assert config["browser"]["gatherUsageStats"] is False


# --- the catalogue -----------------------------------------------------------------------------------------------

def test_the_catalogue_is_complete():
    """At least 140 bad inputs are pinned, one test case each: these tables and the pages' URL parameters
    (tests/pages/test_bad_page_inputs.py)."""
    from tests.pages.test_bad_page_inputs import URL
    tables = (TRAIN, OVERWRITE, DISK, SAMPLE, SAMPLE_OUT, CARDS, RAW_CARDS, WEIGHTS, EMBED, FOLDERS, URL)
    assert sum(len(t) for t in tables) >= 140  # besides the single cases and the other parametrized ones
