"""The bad inputs of GenLab as a library and its command lines (issue 33's list, then new ones): each was a traceback
or a hang once and is one clear line now. The older catalogue is tests/unit/test_bad_inputs.py."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading

import numpy as np
import pytest
import torch

from gen_core import checkpoints, embed, own_embeddings, sample, train
from gen_core.errors import CheckpointError, GenLabError
from gen_core.models import load_checkpoint
from tests.faults import ROOT, one_line_error, save_vae


def usage_error(capsys, main, argv) -> str:
    """argparse's refusal: exit 2, the last line `PROG: error: ...`, no traceback."""
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(err) and "error:" in err[-1]
    return err[-1]


# --- typed numbers: ASCII digits, finite, bounded ----------------------------------------------------------------

USAGE = [
    (train.main, ["vae", "--dataset", "digits", "--epochs", "٣"], "is not a whole number"),
    (train.main, ["vae", "--dataset", "digits", "--seed", "３"], "is not a whole number"),
    (train.main, ["vae", "--dataset", "digits", "--epochs", "1_000"], "is not a whole number"),
    (train.main, ["vae", "--dataset", "digits", "--seed", "9" * 5000], "is not a whole number"),
    (train.main, ["vae", "--dataset", "digits", "--snapshots", "2.0"], "is not a whole number"),
    (sample.main, ["vae-digits", "--n", "٨", "--out", "x.png"], "is not a whole number"),
    (sample.main, ["ddpm-digits", "--eta", "nan", "--out", "x.png"], "is not a finite number"),
    (sample.main, ["ddpm-digits", "--eta", "inf", "--out", "x.png"], "is not a finite number"),
    (sample.main, ["ddpm-digits", "--guidance", "1e999", "--out", "x.png"], "is not a finite number"),
    (sample.main, ["ddpm-digits", "--guidance", "٣", "--out", "x.png"], "is not a finite number"),
]


@pytest.mark.parametrize("main, argv, message", USAGE, ids=[" ".join(a)[:50] for _, a, _ in USAGE])
def test_numbers_on_the_command_line_are_ascii_and_finite(main, argv, message, capsys, home):
    assert message in usage_error(capsys, main, argv)


def test_absurd_epochs_are_one_line(capsys, home, tmp_path):
    """--epochs 99999999999999999999 once ended in a numpy casting traceback (the snapshot schedule)."""
    assert train.main(["vae", "--dataset", "digits", "--epochs", "99999999999999999999",
                       "--out", str(tmp_path / "x")]) == 2
    assert "at most 100,000" in one_line_error(capsys)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("value", ["٣", "３", "²", "३"])
def test_set_takes_ascii_digits_only(value, capsys, home, tmp_path):
    """Python's int() reads these as digits: --set latent_dim=٣ trained a 3-d VAE nobody typed."""
    assert train.main(["vae", "--dataset", "digits", "--set", f"latent_dim={value}",
                       "--out", str(tmp_path / "x")]) == 2
    assert "write it in ASCII" in one_line_error(capsys)


CONFIG = [  # one wrong field: the error names it alone, never the fields the user did not set
    (["gan", "--dataset", "ring8", "--set", "beta1=1"], "beta1 must be in [0, 1), got 1.0",
     ("aux_weight", "gp_weight", "data_scale")),
    (["gan", "--dataset", "ring8", "--set", "gp_weight=-1"], "gp_weight must be >= 0", ("beta1", "aux_weight")),
    (["vae", "--dataset", "digits", "--set", "kl_warmup=-2"], "kl_warmup must be >= 0", ("hidden", "data_scale")),
    (["ddpm", "--dataset", "digits", "--set", "ema_decay=1"], "ema_decay must be in [0, 1)", ("p_uncond", "lr")),
    (["ebm", "--dataset", "ring8", "--set", "restart=2"], "restart must be in [0, 1]", ("step_size", "lr")),
    (["glow", "--dataset", "digits", "--set", "hidden=5000"], "hidden must be 1..1024", ("steps_per_scale",)),
]


@pytest.mark.parametrize("argv, message, absent", CONFIG, ids=[" ".join(a[-2:]) for a, _, _ in CONFIG])
def test_a_config_error_names_only_the_wrong_field(argv, message, absent, capsys, home, tmp_path):
    assert train.main(argv + ["--out", str(tmp_path / "x")]) == 2
    line = one_line_error(capsys)
    assert message in line
    assert not any(name in line for name in absent), line


def test_identical_points_are_refused_without_blaming_a_setting(capsys, home, tmp_path):
    """A GAN on 30 identical points reported beta1, aux_weight, gp_weight and data_scale: none of them set."""
    from gen_core.data import point_sets
    with pytest.raises(GenLabError, match="are the same point"):
        point_sets.check_points(np.ones((30, 2)))
    # a set stored before this check existed is refused when trained on
    path = point_sets.root() / "same.npy"
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.full((30, 2), 0.5, dtype=np.float32))
    with pytest.raises(GenLabError, match="are the same point"):
        point_sets.load("same")


def test_a_two_step_ddpm_trains_saves_and_samples(capsys, home, tmp_path):
    """timesteps=2 is inside the field's range: it once trained and then failed on sqrt of a negative, saving
    nothing (the linear schedule's last beta passed 1)."""
    out = tmp_path / "two"
    assert train.main(["ddpm", "--dataset", "digits", "--epochs", "1", "--set", "timesteps=2", "--snapshots", "0",
                       "--out", str(out)]) == 0
    model, card = load_checkpoint(out)
    assert card["config"]["timesteps"] == 2
    assert sample.main([str(out), "--n", "4", "--out", str(tmp_path / "s.npy")]) == 0
    assert np.isfinite(np.load(tmp_path / "s.npy")).all()


# --- uploads of embeddings ---------------------------------------------------------------------------------------

def npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array))
    return buffer.getvalue()


@pytest.mark.parametrize("header", ["Label,label", "label,Label", "label,label", "class,Class,label"])
def test_label_columns_that_differ_only_in_case_are_kept_apart(header, home):
    """A labels CSV with columns `Label` and `label` gave ValueError: columns overlap."""
    width = header.count(",") + 1
    rows = "\n".join(",".join(f"v{r}{c}" for c in range(width)) for r in range(5))
    emb = own_embeddings.build((npy(np.random.default_rng(0).normal(size=(5, 4))), "v.npy"),
                               (f"{header}\n{rows}\n".encode(), "labels.csv"))
    again = own_embeddings.load(emb.id)
    assert list(again.labels) == [f"v{r}0" for r in range(5)]
    assert len(again.metadata.columns) == width - 1 and "label" not in again.metadata.columns


def test_a_vectors_csv_with_two_label_columns_loads(home):
    emb = own_embeddings.build((b"Label,label,a,b\nx,y,1,2\nx,z,1,3\nw,y,2,2\n", "v.csv"))
    assert emb.vectors.shape == (3, 2) and list(emb.labels) == ["x", "x", "w"]
    assert list(emb.metadata.columns) == ["label (2)"]


@pytest.mark.parametrize("n", [3, 4, 7, 12])
@pytest.mark.parametrize("method", ["tsne", pytest.param("umap", marks=pytest.mark.slow), "pca"])
def test_a_handful_of_points_is_mapped_by_every_projection(method, n):
    """(UMAP's cases are slow: its first fit in a process JIT-compiles for 15-35 s.)"""
    """t-SNE on 3 uploaded vectors raised from scikit-learn (perplexity 30 >= 3 points); UMAP from scipy."""
    coords = embed.project(np.random.default_rng(n).normal(size=(n, 6)), method)
    assert coords.shape == (n, 2) and np.isfinite(coords).all()


# --- checkpoints -------------------------------------------------------------------------------------------------

def test_a_card_nested_200000_deep_hides_no_other_checkpoint(capsys, home):
    """json.load recursed until RecursionError, which the listing did not catch: every page broke."""
    deep = checkpoints.user_dir() / "deep"
    deep.mkdir(parents=True)
    (deep / checkpoints.CARD).write_text("[" * 200_000 + "]" * 200_000)
    listed = {info.name: info.card for info in checkpoints.list_checkpoints()}
    assert "nested too deeply" in listed["deep"]["error"]
    assert "family" in listed["vae-digits"]
    assert checkpoints.main([]) == 0 and "DAMAGED" in capsys.readouterr().out
    assert sample.main(["deep", "--out", str(home / "s.png")]) == 2
    assert "nested too deeply" in one_line_error(capsys)


def test_a_fifo_card_never_blocks_sampling_by_name(home):
    """Resolving a name lists every card: a FIFO named card.json once hung `sample` of any checkpoint."""
    folder = checkpoints.user_dir() / "stuck"
    folder.mkdir(parents=True)
    os.mkfifo(folder / checkpoints.CARD)
    done = subprocess.run([sys.executable, "-m", "gen_core.sample", "vae-digits", "--n", "2", "--out",
                           str(home / "s.npy")], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GENLAB_HOME": str(home)})
    assert done.returncode == 0, done.stderr
    assert (home / "s.npy").is_file()


def test_a_full_disk_inside_safetensors_is_one_line(monkeypatch, capsys, home, tmp_path):
    """safetensors reports ENOSPC as its own SafetensorError, which save() did not catch: a traceback."""
    from safetensors import SafetensorError

    def full(*args, **kwargs):
        raise SafetensorError('Error while serializing: I/O error: No space left on device (os error 28) '
                              'at path "/x/.tmp"')
    monkeypatch.setattr(checkpoints, "save_file", full)
    assert train.main(["vae", "--dataset", "digits", "--epochs", "1", "--snapshots", "0",
                       "--out", str(tmp_path / "new")]) == 2
    line = one_line_error(capsys)
    assert "could not write the checkpoint" in line and "No space left on device" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]


def test_a_full_disk_leaves_no_half_written_data_cache(monkeypatch, home):
    """The digits split is cached as .npz through a hidden temporary file; a full disk left it behind."""
    from gen_core.data import images

    def half_write(path, **arrays):
        with open(path, "wb") as f:
            f.write(b"PK\x03\x04 half")
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(images.np, "savez_compressed", half_write)
    parts = images._digits_split()
    assert parts["x_train"].shape[1:] == (1, 8, 8)
    assert [p.name for p in (home / "data").iterdir()] == []


def without_checksum(path):
    """Drop the card's weights checksum, so only the weights' own checks stand between them and loading."""
    card = json.loads((path / checkpoints.CARD).read_text())
    card.pop("weights_sha256")
    (path / checkpoints.CARD).write_text(json.dumps(card))


def sparse_weights_with_extra(folder, extra_shape):
    """A checkpoint whose weights file adds one tensor of `extra_shape` float32, stored sparse (no disk used)."""
    path = save_vae(folder)
    weights = path / checkpoints.WEIGHTS
    raw = weights.read_bytes()
    size = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + size])
    body = raw[8 + size:]
    nbytes = 4 * int(np.prod(extra_shape))
    header["extra.huge"] = {"dtype": "F32", "shape": list(extra_shape),
                            "data_offsets": [len(body), len(body) + nbytes]}
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 8)
    with open(weights, "wb") as f:
        f.write(len(head).to_bytes(8, "little") + head + body)
        f.truncate(8 + len(head) + len(body) + nbytes)  # a hole: gigabytes that take no disk
    without_checksum(path)  # no checksum to stop it first: the header check must
    return path


def test_a_weights_file_with_a_huge_extra_tensor_is_refused_from_its_header(monkeypatch, tmp_path):
    """A 4 GB sparse weights file was read whole (12 GB peak) before its keys were checked."""
    path = sparse_weights_with_extra(tmp_path / "ck", (1024, 1024, 1024))
    read = []
    monkeypatch.setattr("gen_core.models.load_file", lambda *a, **k: read.append(a) or {})
    with pytest.raises(CheckpointError, match="tensors the model does not have"):
        load_checkpoint(path)
    assert read == []


@pytest.mark.parametrize("header", [b"\xff" * 8, (2 ** 40).to_bytes(8, "little"), (4).to_bytes(8, "little") + b"[1]x",
                                    (10).to_bytes(8, "little") + b'{"a": 1}  ',
                                    (2).to_bytes(8, "little") + b"[]"])
def test_a_weights_header_that_is_not_one_is_one_line(header, tmp_path):
    path = save_vae(tmp_path / "ck")
    (path / checkpoints.WEIGHTS).write_bytes(header)
    without_checksum(path)
    with pytest.raises(CheckpointError, match="truncated or altered"):
        load_checkpoint(path)


def test_weights_with_a_tensor_of_another_shape_are_refused_before_reading(tmp_path):
    small = save_vae(tmp_path / "small", latent_dim=3)
    other = save_vae(tmp_path / "other", latent_dim=5)
    (small / checkpoints.WEIGHTS).write_bytes((other / checkpoints.WEIGHTS).read_bytes())
    without_checksum(small)
    with pytest.raises(CheckpointError, match="has shape"):
        load_checkpoint(small)


def test_a_listing_in_a_thread_survives_a_deep_card(home):
    """Threads have smaller stacks: the server lists cards from script threads."""
    deep = checkpoints.user_dir() / "deep"
    deep.mkdir(parents=True)
    (deep / checkpoints.CARD).write_text('{"a":' * 50_000 + "1" + "}" * 50_000)
    found = []
    reader = threading.Thread(target=lambda: found.extend(checkpoints.list_checkpoints()))
    reader.start()
    reader.join(timeout=60)
    assert any(info.name == "deep" and "error" in info.card for info in found)


def test_torch_threads_follow_the_servers_rule(monkeypatch):
    from gen_core import cli
    before = torch.get_num_threads()
    try:
        assert cli.set_threads({"GENLAB_TORCH_THREADS": "1"}) == 1 and torch.get_num_threads() == 1
        assert cli.set_threads({"GENLAB_TORCH_THREADS": "2", "WORLD_SIZE": "2"}) == 1
        assert cli.set_threads({"OMP_NUM_THREADS": "3"}) is None  # the user's own choice stands
        with pytest.raises(GenLabError, match="GENLAB_TORCH_THREADS"):
            cli.set_threads({"GENLAB_TORCH_THREADS": "many"})
    finally:
        torch.set_num_threads(before)


def test_usage_lines_name_the_command_as_typed(monkeypatch):
    from gen_core import cli
    monkeypatch.setattr(sys, "argv", ["/venv/bin/genlab-train", "vae"])
    assert cli.program("gen_core.train") == "genlab-train"
    monkeypatch.setattr(sys, "argv", ["/x/gen_core/train.py", "vae"])
    assert cli.program("gen_core.train") == "python -m gen_core.train"


# --- checkpoint zips: every import is checked before a byte is unpacked, and must load before it is kept ----------

def good_zip(tmp_path) -> dict[str, bytes]:
    """A small, valid checkpoint's files by path inside its zip folder."""
    from gen_core import checkpoint_archive
    import zipfile as _zipfile
    data = checkpoint_archive.export_zip(save_vae(tmp_path / "ck"))
    archive = _zipfile.ZipFile(io.BytesIO(data))
    return {name.split("/", 1)[1]: archive.read(name) for name in archive.namelist()}


STORED = 0  # zipfile.ZIP_STORED: no compression, so no member looks like a bomb


def zipped(members: list[tuple], compression=None) -> bytes:
    """A zip of (name, bytes[, ZipInfo tweak]) members."""
    import zipfile as _zipfile
    buffer = io.BytesIO()
    with _zipfile.ZipFile(buffer, "w") as archive:
        for member in members:
            name, data = member[0], member[1]
            info = _zipfile.ZipInfo(name)
            info.compress_type = _zipfile.ZIP_DEFLATED if compression is None else compression
            if len(member) > 2:
                member[2](info)
            archive.writestr(info, data)
    return buffer.getvalue()


def edited_card(files, change) -> bytes:
    card = json.loads(files["card.json"])
    change(card)
    return json.dumps(card).encode()


def link(info):
    info.external_attr = (0o120777 << 16)


def flag_encrypted(data: bytes) -> bytes:
    """Set the "encrypted" bit in every header (zipfile cannot write encrypted members itself)."""
    raw = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.find(signature)
        while at >= 0:
            raw[at + offset] |= 0x1
            at = raw.find(signature, at + 4)
    return bytes(raw)


def nan_weights(files):
    from safetensors.torch import load, save
    state = load(files["weights.safetensors"])
    first = next(k for k, v in state.items() if v.is_floating_point())
    state[first] = torch.full_like(state[first], float("nan"))
    return save(state)


ZIPS = [  # (what, make(files) -> zip bytes, message)
    ("random bytes", lambda f: os.urandom(300), "not a readable zip"),
    ("no bytes", lambda f: b"", "not a readable zip"),
    ("an empty zip", lambda f: zipped([]), "the zip is empty"),
    ("a readme only", lambda f: zipped([("m/README.md", b"hi")]), "has no card.json"),
    ("no weights", lambda f: zipped([("m/card.json", f["card.json"])]), "has no weights.safetensors"),
    ("no card", lambda f: zipped([("m/weights.safetensors", f["weights.safetensors"])]), "has no card.json"),
    ("a parent path", lambda f: zipped([("../card.json", f["card.json"])]), "outside its folder"),
    ("an absolute path", lambda f: zipped([("/etc/card.json", f["card.json"])]), "outside its folder"),
    ("a drive letter", lambda f: zipped([("C:/m/card.json", f["card.json"])]), "outside its folder"),
    ("a backslash", lambda f: zipped([("m\\card.json", f["card.json"])]), "outside its folder"),
    ("a link", lambda f: zipped([("m/card.json", b"/etc/passwd", link)]), "holds a link"),
    ("encrypted", lambda f: flag_encrypted(zipped([(f"m/{k}", v) for k, v in f.items()])), "encrypted"),
    ("a bomb", lambda f: zipped([("m/card.json", f["card.json"]), ("m/history.csv", b"0" * (40 << 20))]),
     "decompression bomb"),
    ("a script", lambda f: zipped([*((f"m/{k}", v) for k, v in f.items()), ("m/evil.py", b"import os")]),
     "not part of a GenLab checkpoint"),
    ("a deeper folder", lambda f: zipped([(f"m/x/{k}", v) for k, v in f.items()]), "not part of a GenLab checkpoint"),
    ("two top folders", lambda f: zipped([("a/card.json", f["card.json"]),
                                          ("b/weights.safetensors", f["weights.safetensors"])]),
     "not part of a GenLab checkpoint"),
    ("a card twice", lambda f: zipped([("m/card.json", f["card.json"]), ("m/card.json", f["card.json"]),
                                       ("m/weights.safetensors", f["weights.safetensors"])]), "twice"),
    ("a projection path escape", lambda f: zipped([*((f"m/{k}", v) for k, v in f.items()),
                                                   ("m/projections/../../x.npz", b"x")]), "outside its folder"),
    ("an odd TensorBoard name", lambda f: zipped([*((f"m/{k}", v) for k, v in f.items()),
                                                  ("m/tensorboard/a b", b"x")]), "not part of a GenLab checkpoint"),
    ("a directory named card.json", lambda f: zipped([("m/card.json/", b""),
                                                      ("m/weights.safetensors", f["weights.safetensors"])]),
     "has no card.json"),
    ("2,001 files", lambda f: zipped([(f"m/tensorboard/e{i}", b"") for i in range(2001)]), "a handful"),
    ("a card that is not JSON", lambda f: zipped([("m/card.json", b"{not json"),
                                                  ("m/weights.safetensors", f["weights.safetensors"])]),
     "does not load"),
    ("a card nested deep", lambda f: zipped([("m/card.json", b"[" * 100_000 + b"]" * 100_000),
                                             ("m/weights.safetensors", f["weights.safetensors"])], STORED),
     "nested too deeply"),
    ("an unknown family", lambda f: zipped([("m/card.json", edited_card(f, lambda c: c.update(family="wavenet"))),
                                            ("m/weights.safetensors", f["weights.safetensors"])]), "unknown family"),
    ("another card format", lambda f: zipped([("m/card.json", edited_card(f, lambda c: c.update(format_version=99))),
                                              ("m/weights.safetensors", f["weights.safetensors"])]), "card format"),
    ("a config the weights do not fit", lambda f: zipped([
        ("m/card.json", edited_card(f, lambda c: (c["config"].update(latent_dim=5), c.pop("weights_sha256")))),
        ("m/weights.safetensors", f["weights.safetensors"])]), "has shape"),
    ("garbage weights", lambda f: zipped([("m/card.json", f["card.json"]), ("m/weights.safetensors", b"\0" * 64)]),
     "truncated or altered"),
    ("altered weights", lambda f: zipped([("m/card.json", f["card.json"]),
                                          ("m/weights.safetensors", f["weights.safetensors"][:-4] + b"\1\2\3\4")]),
     "checksum"),
    ("NaN weights", lambda f: zipped([("m/card.json", edited_card(f, lambda c: c.pop("weights_sha256"))),
                                      ("m/weights.safetensors", nan_weights(f))]), "NaN or inf"),
    ("a cut-off zip", lambda f: zipped([(f"m/{k}", v) for k, v in f.items()])[:-200], "not a readable zip"),
]


@pytest.mark.filterwarnings("ignore:Duplicate name")  # "a card twice" is written twice on purpose
@pytest.mark.parametrize("make, message", [z[1:] for z in ZIPS], ids=[z[0] for z in ZIPS])
def test_a_bad_checkpoint_zip_is_refused_and_leaves_nothing(make, message, home, tmp_path):
    from gen_core import checkpoint_archive
    data = make(good_zip(tmp_path))
    with pytest.raises(GenLabError, match=re.escape(message)):
        checkpoint_archive.import_zip(data, "imported")
    user = checkpoints.user_dir()
    assert not user.exists() or list(user.iterdir()) == []


def test_a_good_zip_imports_once_under_a_safe_name(home, tmp_path):
    from gen_core import checkpoint_archive
    files = good_zip(tmp_path)
    data = zipped([*((f"m/{k}", v) for k, v in files.items()), ("__MACOSX/._m", b"junk"), ("m/.DS_Store", b"x")])
    folder = checkpoint_archive.import_zip(data, "../../etc/evil name")
    assert folder.parent == checkpoints.user_dir() and folder.name == "etc-evil-name"
    model, card = load_checkpoint(folder)
    assert card["family"] == "vae"
    with pytest.raises(GenLabError, match="exists already"):
        checkpoint_archive.import_zip(data, "../../etc/evil name")
    with pytest.raises(GenLabError, match="letters or digits"):
        checkpoint_archive.import_zip(data, "...")


def test_a_zip_over_the_size_limit_is_refused_before_it_is_opened(monkeypatch, home, tmp_path):
    from gen_core import checkpoint_archive
    monkeypatch.setattr(checkpoint_archive, "MAX_ZIP_BYTES", 1000)
    with pytest.raises(GenLabError, match="at most"):
        checkpoint_archive.import_zip(b"PK" + b"\0" * 2000, "x")


ARCHIVE_CLI = [  # genlab-archive: (argv, message)
    (["export", "no-such-model", "--out", "{tmp}/a.zip"], "no checkpoint named"),
    (["export", "vae-digits", "--out", "{tmp}/a.tar"], "must end in .zip"),
    (["export", "vae-digits", "--out", "{tmp}/exists.zip"], "exists already"),
    (["export", "vae-digits", "--out", "{tmp}/missing/a.zip"], "could not write"),
    (["import", "{tmp}/nothing.zip"], "No such file"),
    (["import", "{tmp}/exists.zip"], "not a readable zip"),
]


@pytest.mark.parametrize("argv, message", ARCHIVE_CLI, ids=[" ".join(a)[:40] for a, _ in ARCHIVE_CLI])
def test_the_archive_command_refuses_in_one_line(argv, message, capsys, home, tmp_path):
    from gen_core import checkpoint_archive
    (tmp_path / "exists.zip").write_bytes(b"not a zip")
    before = (tmp_path / "exists.zip").read_bytes()
    assert checkpoint_archive.main([a.format(tmp=tmp_path) for a in argv]) == 2
    assert message in one_line_error(capsys)
    assert (tmp_path / "exists.zip").read_bytes() == before
    assert not (tmp_path / "a.zip").exists()


def test_sample_replaces_a_file_only_when_asked(capsys, tmp_path):
    out = tmp_path / "s.npy"
    out.write_bytes(b"precious")
    assert sample.main(["vae-digits", "--n", "2", "--out", str(out)]) == 2
    assert "pass --overwrite" in one_line_error(capsys) and out.read_bytes() == b"precious"
    (tmp_path / "link.npy").symlink_to(out)
    assert sample.main(["vae-digits", "--n", "2", "--out", str(tmp_path / "link.npy")]) == 2
    assert "exists already" in one_line_error(capsys) and out.read_bytes() == b"precious"
    assert sample.main(["vae-digits", "--n", "2", "--out", str(out), "--overwrite"]) == 0
    assert np.load(out).shape == (2, 1, 8, 8)


def test_write_cards_refuses_an_unknown_or_damaged_checkpoint(capsys, home):
    assert checkpoints.main(["--write-cards", "no-such-model"]) == 2
    assert "no checkpoint named" in one_line_error(capsys)
    bad = checkpoints.user_dir() / "bad"
    bad.mkdir(parents=True)
    (bad / checkpoints.CARD).write_text("{}")
    assert checkpoints.main(["--write-cards", str(bad)]) == 2
    assert "lacks one of" in one_line_error(capsys)
    assert not (bad / "README.md").exists()


def test_tensorboard_needs_a_writable_home(capsys, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("GENLAB_HOME", str(blocker))  # a file where the home folder should be
    assert train.main(["vae", "--dataset", "digits", "--epochs", "1", "--snapshots", "0", "--tensorboard",
                       "--out", str(tmp_path / "x")]) == 2
    assert "cannot write TensorBoard events" in one_line_error(capsys)
    assert not (tmp_path / "x").exists()


def test_tensorboard_without_its_package_is_one_line(capsys, monkeypatch, home, tmp_path):
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", None)  # as if tensorboard were not installed
    assert train.main(["vae", "--dataset", "digits", "--epochs", "1", "--tensorboard",
                       "--out", str(tmp_path / "x")]) == 2
    assert "pip install tensorboard" in one_line_error(capsys)


def test_evaluate_never_compares_models_of_different_data(capsys, home):
    from gen_core import evaluate
    assert evaluate.main(["vae-digits", "vae-fashion", "--samples", "50", "--train-samples", "0"]) == 2
    line = one_line_error(capsys)
    assert "trained on different data" in line and "digits: vae-digits" in line


def test_a_checkpoint_saved_with_tensorboard_carries_its_events(home, tmp_path):
    out = tmp_path / "tb"
    assert train.main(["vae", "--dataset", "digits", "--epochs", "1", "--snapshots", "0", "--tensorboard",
                       "--out", str(out)]) == 0
    events = list((out / "tensorboard").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 100
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    log = EventAccumulator(str(out / "tensorboard"))
    log.Reload()
    card = json.loads((out / "card.json").read_text())
    assert len(log.Scalars("train/loss")) == card["steps"]
    rows = (out / "history.csv").read_text().splitlines()
    assert rows[0].startswith("step,") and len(rows) == card["steps"] + 1


def test_this_catalogue_adds_at_least_fifty_bad_inputs():
    """Issue 33 asked for 50 new bad inputs beyond tests/unit/test_bad_inputs.py's tables: these tables, each row a
    test case (the single cases above come on top)."""
    assert len(USAGE) + len(CONFIG) + len(ZIPS) + len(ARCHIVE_CLI) >= 50
