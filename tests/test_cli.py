"""The three command lines: end to end in a real subprocess once, and every bad input in-process."""
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from gen_core import checkpoints, sample, train
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


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith("error: ") and not any("Traceback" in line for line in err)
    return err[-1]


@pytest.mark.parametrize("argv, message", [
    (["gan9000", "--dataset", "digits"], "unknown family 'gan9000'"),
    (["vae", "--dataset", "cifar"], "unknown dataset 'cifar'"),
    (["flow", "--dataset", "digits"], "trains on points data"),
    (["vae", "--dataset", "mnist", "--data-root", "/nonexistent/mnist"], "/nonexistent/mnist/MNIST/raw"),
    (["vae", "--dataset", "folder:/nonexistent/images"], "does not exist"),
    (["vae", "--dataset", "digits", "--set", "colour=red"], "colour=red"),
    (["vae", "--dataset", "digits", "--set", "latent_dim=two"], "not a valid int"),
    (["vae", "--dataset", "digits", "--set", "latent_dim=0"], "bad config"),
    (["vae", "--dataset", "digits", "--epochs", "0"], "at least 1"),
    (["vae", "--dataset", "digits", "--device", "tpu"], "unknown device"),
])
def test_train_bad_input_is_one_line_and_non_zero(argv, message, capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("GENLAB_OFFLINE", "1")
    assert train.main(argv + ["--out", str(tmp_path / "out")]) != 0
    assert message in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


def test_train_refuses_to_overwrite(tmp_path, capsys):
    (tmp_path / "out").mkdir()
    assert train.main(["vae", "--dataset", "digits", "--out", str(tmp_path / "out")]) == 2
    assert "already exists" in one_line_error(capsys)


def test_sample_bad_checkpoints_leave_files_untouched(tmp_path, capsys):
    from tests.test_checkpoints import make
    _, path = make(tmp_path)
    weights = path / checkpoints.WEIGHTS
    weights.write_bytes(weights.read_bytes()[:500])
    before = {f.name: f.read_bytes() for f in path.iterdir()}
    assert sample.main([str(path), "--out", str(tmp_path / "s.png")]) == 2
    assert "truncated" in one_line_error(capsys)
    assert {f.name: f.read_bytes() for f in path.iterdir()} == before
    assert not (tmp_path / "s.png").exists()
    for argv, message in ((["no-such-model", "--out", str(tmp_path / "a.png")], "no checkpoint"),
                          (["vae-digits", "--out", str(tmp_path / "a.jpg")], ".png or .npy"),
                          (["vae-digits", "--out", str(tmp_path / "nowhere" / "a.png")], "does not exist"),
                          (["vae-digits", "--n", "0", "--out", str(tmp_path / "a.png")], "--n")):
        assert sample.main(argv) == 2
        assert message in one_line_error(capsys)
