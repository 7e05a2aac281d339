"""The command lines end to end: train then sample in a real subprocess, PNG grids, the listing. Their bad inputs
are in tests/unit/test_bad_inputs.py."""
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gen_core import checkpoints, sample
from gen_core import checkpoints as ck_cli


def run(*args, env_home):
    env = {"GENLAB_HOME": str(env_home), "GENLAB_DEVICE": "cpu", "GENLAB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, env=env, timeout=300)


def test_train_then_sample_end_to_end(tmp_path):
    out = tmp_path / "vae"
    result = run("gen_core.train", "vae", "--dataset", "digits", "--epochs", "1", "--out", str(out),
                 env_home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    card = checkpoints.read_card(out)
    assert card["family"] == "vae" and card["steps"] == 90 and "test_elbo" in card["metrics"]
    assert card["command"].startswith("python -m gen_core.train vae --dataset digits")
    # saved outside $GENLAB_HOME/checkpoints with --out, and listed all the same (so every page's picker has it)
    listing = run("gen_core.checkpoints", env_home=tmp_path / "home")
    assert listing.returncode == 0 and str(out) in listing.stdout, listing.stdout

    result = run("gen_core.sample", str(out), "--n", "10", "--out", str(tmp_path / "s.npy"), env_home=tmp_path)
    assert result.returncode == 0, result.stderr
    x = np.load(tmp_path / "s.npy")
    assert x.shape == (10, 1, 8, 8) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1


def test_sample_png_and_label_errors(tmp_path, capsys):
    assert sample.main(["vae-digits", "--n", "16", "--seed", "1", "--out", str(tmp_path / "g.png")]) == 0
    with Image.open(tmp_path / "g.png") as im:
        assert im.width > 64 and im.height > 64
    assert sample.main(["vae-digits", "--label", "3", "--out", str(tmp_path / "x.png")]) == 2
    assert "unconditional" in capsys.readouterr().err


def test_listing_prints_shipped_checkpoints(capsys):
    assert ck_cli.main([]) == 0
    out = capsys.readouterr().out
    assert "vae-digits" in out and "shipped" in out


# Every bad input of the command lines is in tests/unit/test_bad_inputs.py.


@pytest.mark.parametrize("family, overrides", [("cgan", {}), ("ddpm", {"num_classes": 10, "channels": 8,
                                                                        "timesteps": 50})])
def test_a_conditional_model_on_data_without_a_reference_classifier_trains_and_keeps_its_metrics(family, overrides):
    """MNIST from disk or an image folder has no reference classifier: the class-accuracy metric is left out
    (it used to crash after the last step, and nothing was saved)."""
    import dataclasses

    from gen_core import train
    from gen_core.data import load_dataset
    from gen_core.models import family_defaults, get_family
    data = dataclasses.replace(load_dataset("digits"), name="folder:my-digits")
    config = get_family(family).config_for(data, **{**family_defaults(family), **overrides})
    result = train.train(family, data, config=config, epochs=1, num_snapshots=1)
    assert result.metrics and not [k for k in result.metrics if "accuracy" in k or k == "evaluation_error"]


def test_a_failed_evaluation_keeps_the_trained_model(monkeypatch):
    from gen_core import train
    from gen_core.data import load_dataset
    from gen_core.models import vae

    def broken(*args, **kwargs):
        raise RuntimeError("the evaluation broke")
    monkeypatch.setattr(vae, "evaluate", broken)
    result = train.train("vae", load_dataset("digits"), epochs=1, num_snapshots=1)
    assert result.steps == 90 and result.metrics == {"evaluation_error": "RuntimeError: the evaluation broke"}


def test_the_core_and_its_commands_work_from_any_folder(tmp_path):
    """requirements.txt installs the core editable (pyproject.toml): `python -m gen_core.train` and the genlab-*
    commands run from a folder other than the checkout (they failed with "No module named 'gen_core'")."""
    from pathlib import Path
    listing = subprocess.run([sys.executable, "-m", "gen_core.checkpoints"], cwd=tmp_path, capture_output=True,
                             text=True, timeout=120)
    assert listing.returncode == 0 and "vae-digits" in listing.stdout, listing.stderr[-500:]
    command = Path(sys.executable).parent / "genlab-train"
    assert command.exists(), "pip install -r requirements.txt installs the genlab-* commands"
    help_text = subprocess.run([str(command), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert help_text.returncode == 0 and "--dataset" in help_text.stdout


def test_training_on_a_folder_takes_as_many_snapshots_as_asked(tmp_path):
    from gen_core import checkpoints as ck
    from PIL import Image as PILImage
    folder = tmp_path / "a very long path to my pictures"
    for label, colour in (("dark", 30), ("light", 220)):
        (folder / label).mkdir(parents=True)
        for k in range(8):
            PILImage.new("L", (10, 10), colour + k).save(folder / label / f"{k}.png")
    out = tmp_path / "vae"
    result = run("gen_core.train", "vae", "--dataset", f"folder:{folder}", "--epochs", "1", "--snapshots", "0",
                 "--out", str(out), env_home=tmp_path / "home")
    assert result.returncode == 0, result.stderr
    assert ck.load_snapshots(out) == {}


@pytest.mark.parametrize("value", ["-1", "1001"])
def test_a_bad_snapshot_count_is_one_line_and_writes_nothing(value, tmp_path, capsys):
    from gen_core import train
    assert train.main(["vae", "--dataset", "digits", "--snapshots", value, "--out", str(tmp_path / "v")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: --snapshots must be a whole number from 0 to 1000, not {value}"]
    assert list(tmp_path.iterdir()) == []


def test_a_checkpoint_that_cannot_be_noted_is_still_saved_with_a_warning(tmp_path, monkeypatch, capsys):
    """--out outside $GENLAB_HOME/checkpoints, and the note of it cannot be written: the checkpoint stays, one
    warning line says to open it by its path, and the command succeeds."""
    from gen_core import train
    monkeypatch.setenv("GENLAB_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "checkpoints-elsewhere.txt").mkdir()  # a folder where the note file should be
    out = tmp_path / "elsewhere" / "vae"
    assert train.main(["vae", "--dataset", "digits", "--epochs", "1", "--snapshots", "0", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    warnings = [line for line in captured.err.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 1 and "could not note it" in warnings[0] and "open it by its path" in warnings[0]
    assert "Traceback" not in captured.err and (out / "card.json").is_file() and "saved" in captured.out
