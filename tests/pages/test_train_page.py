"""Own data: the job queue, zip uploads checked before unpacking, train_and_save on MNIST-style IDX files and an
image folder (conditional models included), and the Train and Evaluate pages driving real jobs."""
import io
import struct
import zipfile

import numpy as np
import pytest
from PIL import Image

from gen_core import checkpoints, jobs
from gen_core.core import InferenceCore
from gen_core.data import load_card_dataset, load_dataset
from gen_core.data import uploads
from gen_core.errors import GenLabError
from gen_core.train import train_and_save
from tests.apptest import open_page
from ui.jobs_panel import trained
from ui.text import plain


# --- zip uploads ---------------------------------------------------------------------------------------------

def png_bytes(value: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((12, 12), value, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def make_zip(entries: dict[str, bytes], top: str = "") -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(top + name, data)
    buffer.seek(0)
    return buffer


def class_zip(top: str = "") -> io.BytesIO:
    return make_zip({f"{c}/{i}.png": png_bytes(40 + 100 * k + i) for k, c in enumerate(("cat", "dog"))
                     for i in range(6)} | {"README.txt": b"not an image", "__MACOSX/cat/._0.png": b"junk"}, top)


@pytest.mark.parametrize("top", ["", "pets/"])
def test_a_zip_of_class_folders_unpacks_into_a_data_set(genlab_home, top):
    folder = uploads.unpack_class_zip(class_zip(top), "my pets!")
    assert folder.parent == uploads.uploads_root() and folder.name == "my-pets"
    assert sorted(p.name for p in folder.iterdir()) == ["cat", "dog"]
    data = load_dataset(f"folder:{folder}")
    assert data.class_names == ("cat", "dog") and len(data.x_train) + len(data.x_test) == 12
    with pytest.raises(GenLabError, match="exists already"):
        uploads.unpack_class_zip(class_zip(top), "my pets!")


def bomb() -> io.BytesIO:
    return make_zip({"a/0.png": b"\0" * 5_000_000, "b/0.png": png_bytes(1), "a/1.png": png_bytes(2),
                     "b/1.png": png_bytes(3)})


@pytest.mark.parametrize("archive, message", [
    (lambda: make_zip({"../evil/0.png": png_bytes(1), "a/1.png": png_bytes(1)}), "outside its folder"),
    (lambda: make_zip({"/abs/0.png": png_bytes(1)}), "outside its folder"),
    (bomb, "inflates"),
    (lambda: make_zip({"a/0.png": png_bytes(1), "a/1.png": png_bytes(2)}), "at least two"),
    (lambda: make_zip({"a/0.png": png_bytes(1), "a/1.png": png_bytes(2), "b/0.png": png_bytes(3)}), "fewer than 2"),
    (lambda: make_zip({"notes.txt": b"hello"}), "no images"),
    (lambda: io.BytesIO(b"this is not a zip"), "not a readable zip"),
    (lambda: make_zip({"x/a/0.png": png_bytes(1), "y/b/0.png": png_bytes(1)}), "CLASS/IMAGE"),
])
def test_a_bad_zip_is_refused_before_anything_is_unpacked(genlab_home, archive, message):
    with pytest.raises(GenLabError, match=message):
        uploads.unpack_class_zip(archive(), "bad")
    root = uploads.uploads_root()
    assert not root.exists() or not any(root.iterdir())  # nothing left behind, not even a staging folder


def test_a_link_inside_a_zip_is_refused(genlab_home):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        info = zipfile.ZipInfo("a/0.png")
        info.external_attr = (0o120777 << 16)  # a symbolic link
        z.writestr(info, "/etc/passwd")
        z.writestr("b/0.png", png_bytes(1))
    buffer.seek(0)
    with pytest.raises(GenLabError, match="link"):
        uploads.unpack_class_zip(buffer, "links")


def test_too_many_files_are_refused_from_the_header(genlab_home, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_FILES", 5)
    with pytest.raises(GenLabError, match="at most 5"):
        uploads.unpack_class_zip(class_zip(), "many")


# --- conditional training on own data, through train_and_save (what the Train page runs) ----------------------

def write_idx(folder, prefix, images, labels):
    with open(folder / f"{prefix}-images-idx3-ubyte", "wb") as f:  # torchvision reads the unpacked files
        f.write(struct.pack(">IIII", 2051, len(images), 28, 28) + images.astype(np.uint8).tobytes())
    with open(folder / f"{prefix}-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">II", 2049, len(labels)) + labels.astype(np.uint8).tobytes())


@pytest.fixture
def tiny_mnist(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    labels = np.arange(120) % 10
    images = np.zeros((120, 28, 28))
    for i, label in enumerate(labels):  # a bar whose position is the class: learnable, and made here
        images[i, 2 + 2 * label: 4 + 2 * label, 4:24] = 255
    images += rng.integers(0, 30, images.shape)
    write_idx(raw, "train", images.clip(0, 255), labels)
    write_idx(raw, "t10k", images[:40].clip(0, 255), labels[:40])
    return tmp_path


@pytest.mark.parametrize("family, overrides", [("cgan", {}), ("ddpm", {"num_classes": 10, "timesteps": 10, "channels": 16})])
def test_conditional_models_train_on_mnist_files_and_every_page_can_open_them(genlab_home, tiny_mnist, family,
                                                                               overrides, monkeypatch):
    out = checkpoints.user_dir() / f"{family}-tiny"
    path, card, _ = train_and_save(family, "mnist", data_root=str(tiny_mnist / "MNIST" / "raw"), epochs=1,
                                   out=out, overrides=overrides, snapshots=0, device="cpu")
    assert path == out and card["dataset"]["name"] == "mnist" and "evaluation_error" not in card["metrics"]
    assert any(info.name == out.name for info in checkpoints.list_checkpoints())
    x = InferenceCore("cpu").sample(str(out), 4, label=3, **({"steps": 5, "sampler": "ddim"} if family == "ddpm" else {}))
    assert x.shape == (4, 1, 28, 28)
    # the pages load a card's data through load_card_dataset: MNIST from whichever allowed data folder has it
    monkeypatch.setenv("GENLAB_DATA_ROOTS", str(tiny_mnist))
    assert len(load_card_dataset(card["dataset"]["name"]).x_train) == 120


def test_a_conditional_model_trains_on_an_uploaded_folder(genlab_home):
    folder = uploads.unpack_class_zip(class_zip(), "pets")
    out = checkpoints.user_dir() / "cgan-pets"
    path, card, _ = train_and_save("cgan", f"folder:{folder}", epochs=1, out=out, snapshots=0, device="cpu")
    assert card["dataset"]["class_names"] == ["cat", "dog"]
    assert InferenceCore("cpu").sample(str(path), 2, label=1).shape == (2, 1, 32, 32)


# --- the pages ------------------------------------------------------------------------------------------------

def test_the_train_page_queues_a_training_that_lands_in_the_model_list(genlab_home):
    from ui.jobs_panel import job_queue
    at = open_page("app_pages/train.py")
    at.selectbox(key="train_family").set_value("vae").run()
    at.selectbox(key="train_bundled").set_value("digits").run()
    at.number_input(key="train_epochs_vae").set_value(1).run()
    at.text_input(key="train_name_vae_digits").set_value("vae-from-the-page").run()
    at.button(key="train_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job = [j for j in job_queue().jobs() if "vae-from-the-page" in j.title][-1]
    job = job_queue().wait(job, timeout=180)
    assert job.status == jobs.DONE, job.error
    assert job.history["step"] and job.history["loss"]  # the live curve had points
    at.run()
    assert any("Saved vae\\-from\\-the\\-page" in s.value for s in at.success)  # as plain text (escaped)
    vae = open_page("app_pages/vae_explorer/page.py")
    assert "vae-from-the-page" in vae.selectbox(key="vae_model").options


def test_the_train_page_says_one_line_for_a_taken_name(genlab_home):
    at = open_page("app_pages/train.py")
    assert at.text_input(key="train_name_vae_digits").value == "vae-digits-2"  # vae-digits is shipped
    at.text_input(key="train_name_vae_digits").set_value("../escape").run()
    at.button(key="train_go").click().run()
    assert [e.value for e in at.error] == [plain("the name must be a plain folder name (no '/' or leading '.')")]
    at.text_input(key="train_name_vae_digits").set_value("vae-digits").run()
    at.button(key="train_go").click().run()
    assert [e.value for e in at.error] == [plain("a checkpoint named vae-digits exists already; choose another name")]


def test_the_evaluate_page_runs_a_job_and_shows_the_table(genlab_home):
    from ui.jobs_panel import job_queue
    at = open_page("app_pages/evaluate.py")
    at.multiselect(key="eval_models").set_value(["gan-digits", "gan-digits-collapsed"]).run()
    at.select_slider(key="eval_samples").set_value(200).run()
    at.select_slider(key="eval_train_samples").set_value(0).run()  # the classifier columns: tests/unit/test_evaluate.py
    at.button(key="eval_go").click().run()
    job = job_queue().wait(at.session_state["eval_job"], timeout=180)
    assert job.status == jobs.DONE, job.error
    at.run()
    table = at.dataframe[0].value
    assert list(table["checkpoint"]) == ["gan-digits", "gan-digits-collapsed"]
    assert table["FD"][1] > table["FD"][0] and table["classes"][1] < table["classes"][0]


# --- your own 2-D points -------------------------------------------------------------------------------------

def test_point_sets_are_checked_stored_by_name_and_split(genlab_home):
    from gen_core.data import point_sets
    points = np.random.default_rng(0).normal(size=(100, 2))
    name = point_sets.save(points, "my blob!")
    assert name == "points:my-blob" and point_sets.stored() == ["points:my-blob"]
    data = load_card_dataset(name)
    assert data.kind == "points" and len(data.x_train) == 80 and len(data.x_test) == 20
    assert point_sets.save(points, "my blob!") == name  # the same points again: nothing to do
    with pytest.raises(GenLabError, match="exist already"):
        point_sets.save(points[::-1], "my blob!")
    csv = "x,y,label\n" + "\n".join(f"{a},{b},k" for a, b in points[:30])
    assert point_sets.read_points_file(csv.encode(), "p.csv").shape == (30, 2)


@pytest.mark.parametrize("data, filename, message", [
    (b"x,y\n1,2\n", "p.csv", "between 20"),
    (b"x\n" + b"1\n" * 30, "p.csv", "two numeric columns"),
    (b"not numpy", "p.npy", "not a readable"),
    (b"1,2", "p.txt", ".csv or .npy"),
])
def test_bad_point_files_get_one_line(data, filename, message):
    from gen_core.data import point_sets
    with pytest.raises(GenLabError, match=message):
        point_sets.read_points_file(data, filename)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/abs", ""])
def test_a_point_set_is_named_never_a_path(genlab_home, name):
    with pytest.raises(GenLabError):
        load_card_dataset(f"points:{name}")


def test_the_train_page_trains_on_points_drawn_on_the_playground(genlab_home):
    from ui.jobs_panel import job_queue
    at = open_page("app_pages/train.py")
    at.session_state["pg_drawn"] = np.random.default_rng(1).normal(size=(60, 2))  # what the canvas leaves
    at.selectbox(key="train_family").set_value("gan").run()
    at.radio(key="train_source").set_value("Your 2-D points").run()
    at.button(key="train_points_drawn").click().run()
    assert at.selectbox(key="train_points_pick").value.startswith("points:drawn-")
    at.number_input(key="train_epochs_gan").set_value(2).run()
    at.button(key="train_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job = [j for j in job_queue().jobs() if "points-drawn" in j.title][-1]
    job = job_queue().wait(job, timeout=180)
    assert job.status == jobs.DONE, job.error
    path, card = trained(job)
    assert card["dataset"]["name"].startswith("points:drawn-") and card["dataset"]["kind"] == "points"


# --- image folders at a chosen size --------------------------------------------------------------------------

def test_an_image_folder_trains_at_a_chosen_size_and_pages_load_it_the_same(genlab_home):
    folder = uploads.unpack_class_zip(class_zip(), "sized")
    out = checkpoints.user_dir() / "vae-sized"
    from gen_core import train
    assert train.main(["vae", "--dataset", f"folder:{folder}", "--image-size", "16", "--epochs", "1",
                       "--snapshots", "0", "--out", str(out)]) == 0
    card = checkpoints.read_card(out)
    assert card["dataset"]["name"] == f"folder16:{folder}" and card["dataset"]["shape"] == [1, 16, 16]
    assert load_card_dataset(card["dataset"]["name"]).shape == (1, 16, 16)
    assert InferenceCore("cpu").sample(str(out), 2).shape == (2, 1, 16, 16)


@pytest.mark.parametrize("args, message", [
    (["--dataset", "digits", "--image-size", "16"], "use it with --dataset folder:PATH"),
    (["--dataset", "folder:/tmp", "--image-size", "300"], "8..128 pixels a side, not 300"),
    (["--dataset", "folder999:/tmp"], "not 999"),
])
def test_bad_image_sizes_get_one_line(genlab_home, capsys, args, message):
    from gen_core import train
    assert train.main(["vae", *args, "--epochs", "1"]) == 2
    assert message in capsys.readouterr().err


def test_a_sized_folder_outside_the_data_folders_is_refused_in_a_card(genlab_home):
    with pytest.raises(GenLabError, match="outside the data folders"):
        load_card_dataset("folder16:/usr/share")


def test_the_train_page_trains_a_conditional_gan_on_mnist_files_in_a_data_folder(genlab_home, tiny_mnist,
                                                                                  monkeypatch):
    """Through the page: MNIST from one of the server's data folders ($GENLAB_DATA_ROOTS), a conditional model,
    and GAN Studio opens the result."""
    from ui.jobs_panel import job_queue
    monkeypatch.setenv("GENLAB_DATA_ROOTS", str(tiny_mnist))
    at = open_page("app_pages/train.py")
    at.selectbox(key="train_family").set_value("cgan").run()
    at.radio(key="train_source").set_value("MNIST / Fashion-MNIST on this server").run()
    at.selectbox(key="train_tv").set_value("mnist").run()
    at.selectbox(key="train_root").set_value(str(tiny_mnist)).run()
    at.number_input(key="train_epochs_cgan").set_value(1).run()
    at.button(key="train_go").click().run()
    assert not at.exception, [e.value for e in at.exception]
    job = [j for j in job_queue().jobs() if j.title.startswith("cgan on mnist")][-1]
    job = job_queue().wait(job, timeout=180)
    assert job.status == jobs.DONE, job.error
    path, card = trained(job)
    assert card["config"]["num_classes"] == 10 and "evaluation_error" not in card["metrics"]
    at.run()  # the jobs panel sees the finished job and refreshes the model list
    studio = open_page("app_pages/gan_studio/page.py")
    studio.selectbox(key="gan_model").set_value(path.name).run()
    assert not studio.exception, [e.value for e in studio.exception]
    assert studio.selectbox(key="gan_model").value == path.name and len(studio.get("image")) >= 1  # samples drawn


def test_the_command_line_trains_a_conditional_gan_on_an_image_folder(genlab_home, capsys):
    from gen_core import train
    folder = uploads.unpack_class_zip(class_zip(), "cli-pets")
    out = checkpoints.user_dir() / "cgan-cli-pets"
    assert train.main(["cgan", "--dataset", f"folder:{folder}", "--epochs", "1", "--snapshots", "0",
                       "--out", str(out)]) == 0
    card = checkpoints.read_card(out)
    assert card["config"]["num_classes"] == 2 and "saved" in capsys.readouterr().out
    assert InferenceCore("cpu").sample(str(out), 2, label=0).shape == (2, 1, 32, 32)


def test_a_setting_out_of_its_range_is_refused_before_anything_is_queued(genlab_home):
    from ui.jobs_panel import job_queue
    before = len(job_queue().jobs())
    at = open_page("app_pages/train.py")
    at.number_input(key="train_cfg_vae_lr").set_value(5.0).run()  # learning rates lie in (0, 1]
    at.button(key="train_go").click().run()
    assert len(at.error) == 1 and at.error[0].value.startswith("bad setting")
    assert len(job_queue().jobs()) == before
