import json
import os

import pytest
import torch

from gen_core.models import load_checkpoint
from gen_core import checkpoints
from gen_core.errors import CheckpointError, GenLabError
from gen_core.models import vae


def make(tmp_path, name="ck", latent_dim=3, **save_kw):
    torch.manual_seed(0)
    config = vae.Config(latent_dim=latent_dim, channels=4)
    model = vae.build(config)
    card = checkpoints.make_card(family="vae", config=config, dataset={"name": "digits", "kind": "image"},
                                 command="python -m gen_core.train vae --dataset digits", steps=3,
                                 metrics={"test_elbo": -30.0})
    return model, checkpoints.save(tmp_path / name, model, card, **save_kw)


def test_round_trip_rebuilds_the_same_model(tmp_path):
    model, path = make(tmp_path, snapshots={"step_0000002": torch.ones(2, 1, 8, 8)})
    loaded, card = load_checkpoint(path)
    z = torch.randn(4, 3)
    assert torch.equal(model.decode(z), loaded.decode(z))
    assert not loaded.training
    for key in ("family", "config", "dataset", "command", "steps", "metrics", "created", "format_version",
                "weights_sha256"):
        assert key in card
    assert card["config"]["latent_dim"] == 3
    assert list(checkpoints.load_snapshots(path)) == [2]


def test_never_overwrites_unless_asked(tmp_path):
    _, path = make(tmp_path)
    before = (path / checkpoints.WEIGHTS).read_bytes()
    with pytest.raises(GenLabError, match="already exists"):
        make(tmp_path, latent_dim=5)
    assert (path / checkpoints.WEIGHTS).read_bytes() == before
    make(tmp_path, latent_dim=5, overwrite=True)
    assert checkpoints.read_card(path)["config"]["latent_dim"] == 5


def test_a_failed_write_leaves_the_old_checkpoint_whole(tmp_path, monkeypatch):
    _, path = make(tmp_path)
    before = {f.name: f.read_bytes() for f in path.iterdir()}

    def disk_full(*args, **kwargs):
        raise OSError("No space left on device")
    monkeypatch.setattr(checkpoints, "save_file", disk_full)
    with pytest.raises(GenLabError, match="No space left on device"):  # one line, not an OSError traceback
        make(tmp_path, overwrite=True)
    assert {f.name: f.read_bytes() for f in path.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["ck"]  # no temporary folder left behind


def test_truncated_weights_are_caught_by_the_checksum(tmp_path):
    _, path = make(tmp_path)
    weights = path / checkpoints.WEIGHTS
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated or altered"):
        load_checkpoint(path)


def test_truncated_weights_without_a_checksum_are_unreadable(tmp_path):
    _, path = make(tmp_path)
    card = json.loads((path / checkpoints.CARD).read_text())
    del card["weights_sha256"]
    (path / checkpoints.CARD).write_text(json.dumps(card))
    weights = path / checkpoints.WEIGHTS
    weights.write_bytes(weights.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="truncated or altered"):
        load_checkpoint(path)


@pytest.mark.parametrize("edit, message", [
    (lambda c: c["config"].update(latent_dim=7), "does not fit"),
    (lambda c: c["config"].update(colour="red"), "unknown field"),
    (lambda c: c.update(family="wavenet"), "unknown family"),
    (lambda c: c.update(format_version=99), "format"),
    (lambda c: c.pop("dataset"), "lacks"),
    (lambda c: c["config"].update(latent_dim=-1), "not describe a valid model"),
])
def test_cards_that_disagree_with_their_weights(tmp_path, edit, message):
    _, path = make(tmp_path)
    card = json.loads((path / checkpoints.CARD).read_text())
    edit(card)
    (path / checkpoints.CARD).write_text(json.dumps(card))
    with pytest.raises(CheckpointError, match=message):
        load_checkpoint(path)


def test_unreadable_card_and_missing_folder(tmp_path):
    _, path = make(tmp_path)
    (path / checkpoints.CARD).write_text("{not json")
    with pytest.raises(CheckpointError, match="not readable JSON"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path / "nothing-here")


def test_listing_finds_shipped_and_user_checkpoints_and_flags_damage(genlab_home):
    _, good = make(checkpoints.user_dir(), name="mine")
    _, bad = make(checkpoints.user_dir(), name="broken")
    (bad / checkpoints.CARD).write_text("[]")
    infos = {i.name: i for i in checkpoints.list_checkpoints()}
    assert infos["vae-digits"].source == "shipped"
    assert infos["mine"].source == "user" and infos["mine"].card["family"] == "vae"
    assert "error" in infos["broken"].card
    assert checkpoints.resolve("mine") == good
    with pytest.raises(CheckpointError, match="known: .*vae-digits"):
        checkpoints.resolve("nope")


def test_the_light_listing_leaves_out_histories_and_follows_changed_cards(genlab_home):
    """Pickers list cards without their training histories (99% of the shipped cards' bytes); the rest of each card
    is the card, a changed card file is read again, and a caller's change to a listed card stays its own."""
    _, mine = make(checkpoints.user_dir(), name="mine")
    card = json.loads((mine / checkpoints.CARD).read_text())
    card["history"] = {"step": list(range(1000)), "loss": [0.5] * 1000}
    (mine / checkpoints.CARD).write_text(json.dumps(card))
    full = {i.name: i.card for i in checkpoints.list_checkpoints()}
    light = {i.name: i.card for i in checkpoints.list_checkpoints(history=False)}
    assert full.keys() == light.keys()
    assert len(full["mine"]["history"]["step"]) == 1000 and "history" not in light["mine"]
    assert {k: v for k, v in full["mine"].items() if k != "history"} == light["mine"]
    shipped = sum(len(json.dumps(c)) for n, c in full.items() if n != "mine")
    shipped_light = sum(len(json.dumps(c)) for n, c in light.items() if n != "mine")
    assert shipped_light < shipped / 20, (shipped_light, shipped)

    light["mine"]["metrics"]["test_elbo"] = 123.0  # a caller's own copy
    again = {i.name: i.card for i in checkpoints.list_checkpoints(history=False)}
    assert again["mine"]["metrics"]["test_elbo"] == -30.0
    card["metrics"]["test_elbo"] = -25.0  # the card changes on disk: the listing reads it again
    (mine / checkpoints.CARD).write_text(json.dumps(card, indent=2))
    relisted = {i.name: i.card for i in checkpoints.list_checkpoints(history=False)}
    assert relisted["mine"]["metrics"]["test_elbo"] == -25.0
    (mine / checkpoints.CARD).write_text("[]")  # damaged since: listed as damaged, not from the cache
    assert "error" in {i.name: i.card for i in checkpoints.list_checkpoints(history=False)}["mine"]


def test_loading_never_unpickles(tmp_path):
    """A pickle in place of the weights is refused, never executed."""
    _, path = make(tmp_path)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))
    import pickle
    (path / checkpoints.WEIGHTS).write_bytes(pickle.dumps(Evil()))
    card = json.loads((path / checkpoints.CARD).read_text())
    del card["weights_sha256"]
    (path / checkpoints.CARD).write_text(json.dumps(card))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert not marker.exists()


def test_the_pages_listing_is_light():
    """st.cache_data unpickles a fresh copy of the listing for every page run that asks for it; with the training
    histories that was 8.8 MB and about a million objects per run, and thirty sessions at once held 1.9 GB of
    them (bench/load.py). The listing the pages share carries no history."""
    import pickle

    from ui.loaders import checkpoint_listing

    listing = checkpoint_listing()
    assert len(listing) >= 24 and not any("history" in entry["card"] for entry in listing)
    assert len(pickle.dumps(listing)) < 500_000


def test_a_fifo_named_card_json_is_reported_not_waited_on(genlab_home):
    """A FIFO opened for reading blocks until a writer comes: the listing (and with it the server's warm-up and
    /_stcore/health) once waited forever on one under $GENLAB_HOME."""
    import os
    import threading
    folder = checkpoints.user_dir() / "stuck"
    folder.mkdir(parents=True)
    os.mkfifo(folder / checkpoints.CARD)
    found = []
    reader = threading.Thread(target=lambda: found.extend(checkpoints.list_checkpoints()), daemon=True)
    reader.start()
    reader.join(timeout=20)
    assert not reader.is_alive(), "listing the checkpoints blocked on a FIFO"
    stuck = next(info for info in found if info.name == "stuck")
    assert "not a regular file" in stuck.card["error"]
