"""Train: any family on any data set it supports (bundled, MNIST / Fashion-MNIST from a data folder, an uploaded
zip of class folders), in the background on the deployment's job queue (gen_core.jobs: a worker process, one job at a
time, a visitor's share limited), with a live loss curve and cancel; the model then appears in every page's picker."""
import dataclasses
import shlex
from pathlib import Path

import streamlit as st

from gen_core import checkpoint_archive, checkpoints, jobs
from gen_core.data import IMAGE_SETS, allowed_data_roots, folder_name, load_dataset, point_sets
from gen_core.data.sequences import text_names
from gen_core.data.toys import TOYS
from gen_core.data.uploads import MAX_ZIP_BYTES, safe_name, unpack_class_zip, uploads_root
from gen_core.errors import GenLabError
from gen_core.models import FAMILIES, family_defaults, get_family
from ui.exports import checkpoint_downloads
from ui.jobs_panel import panel, submit
from ui.loaders import checkpoint_listing
from ui.settings import current_device, global_seed
from ui.text import plain

BUNDLED, TORCHVISION, UPLOADED = "Bundled", "MNIST / Fashion-MNIST on this server", "Your uploads"
POINTS = "Your 2-D points"
# config fields a visitor does not set: the data's shape comes from the data set
DERIVED_FIELDS = {"image_shape", "data_shape", "vae", "vocabulary", "levels"}  # read from the data
EPOCHS_DEFAULT = {"ddpm": 5, "ldm": 5}  # 1000-step diffusion snapshots are slow on a CPU: fewer epochs to start

st.title("Train a model")
st.markdown("Pick a family and data, change any setting, and train. Training runs on the server in the "
            "background, **one at a time** (two trainings on a small machine slow each other badly); the bar and "
            "the loss curve keep going when you switch pages or reload. A finished model appears in every page's model "
            f"list. Each visitor may have {jobs.MAX_RUNNING} job running and {jobs.MAX_QUEUED} waiting; the teacher "
            "sets how long one may run.")


def point_set_picker() -> str | None:
    """Your 2-D points: uploaded as .csv / .npy, or the ones drawn on the 2-D Playground in this session."""
    upload = st.file_uploader("Points (.csv with x and y columns, or an N x 2 .npy)", type=["csv", "npy"],
                              key="train_points_file")
    points_name = st.text_input("Name for the points", key="train_points_name", placeholder="the file's name")
    drawn = st.session_state.get("pg_drawn")
    b = st.columns(2)
    try:
        if b[0].button("Add these points", disabled=upload is None, key="train_points_add"):
            st.session_state["train_points_pick"] = point_sets.save(
                point_sets.read_points_file(upload.getvalue(), upload.name),
                points_name.strip() or upload.name.rsplit(".", 1)[0])
        if drawn is not None and len(drawn) >= point_sets.MIN_POINTS and \
                b[1].button(f"Use the {len(drawn)} points you drew on the 2-D Playground", key="train_points_drawn"):
            st.session_state["train_points_pick"] = point_sets.save(drawn, points_name.strip())
    except GenLabError as error:
        st.error(plain(error))
    sets = point_sets.stored()
    if not sets:
        st.caption("Upload points, or draw some on the 2-D Playground ('draw your own') and come back.")
        return None
    if st.session_state.get("train_points_pick") not in sets:
        st.session_state.pop("train_points_pick", None)
    return st.selectbox("Your point set", sets, key="train_points_pick")


FOUND = "where GenLab finds it (Debian's dataset-fashion-mnist, or $GENLAB_HOME/data)"


def training_form() -> None:
    """The form: family, data, settings, name, Train. Returns early where the choice leaves nothing to train."""
    family = st.selectbox("Family", list(FAMILIES), key="train_family", bind="query-params")
    kinds = get_family(family).DATA_KINDS
    source = st.radio("Data", [BUNDLED, TORCHVISION, UPLOADED, POINTS], horizontal=True, key="train_source",
                      bind="query-params")
    data_root = None
    if source == BUNDLED:
        names = ([n for n in ("digits", "shapes", "digits-binary", "shapes-binary", "digits-4x4") if "image" in kinds]
                 + ([*TOYS] if "points" in kinds else []) + (text_names() if "text" in kinds else [])
                 + (["series"] if "sequence" in kinds else []))
        dataset = st.selectbox("Data set", names, key="train_bundled")
    elif source == TORCHVISION:
        if "image" not in kinds:
            st.info(f"{family} trains on {' or '.join(kinds)} data; pick a bundled set.")
            return
        dataset = st.selectbox("Data set", sorted((n for n in IMAGE_SETS if n not in ("digits", "shapes")),
                                                  key=lambda n: n != "fashion-mnist"), key="train_tv")
        # Fashion-MNIST is found without a folder (Debian's dataset-fashion-mnist, or $GENLAB_HOME/data); a folder
        # chosen here is the only place looked in, as the command line's --data-root is.
        roots = ([FOUND] if dataset == "fashion-mnist" else []) + [str(r) for r in allowed_data_roots()]
        data_root = st.selectbox("Data folder (the server's data folders: $GENLAB_HOME/data and "
                                 "$GENLAB_DATA_ROOTS)", roots, key="train_root")
        data_root = None if data_root == FOUND else data_root
    elif source == POINTS:
        if "points" not in kinds:
            st.info(f"{family} trains on {' or '.join(kinds)} data; pick another data source.")
            return
        dataset = point_set_picker()
        if dataset is None:
            return
    else:
        if "image" not in kinds:
            st.info(f"{family} trains on {' or '.join(kinds)} data; pick a bundled set.")
            return
        root = uploads_root()
        mine = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")) \
            if root.is_dir() else []
        with st.expander("Upload a zip of class folders", expanded=not mine):
            st.caption(f"CLASS/IMAGE inside the zip (or one folder around them), at most "
                       f"{MAX_ZIP_BYTES // 2 ** 20} MB. It is checked before anything is unpacked.")
            upload = st.file_uploader("Zip file", type=["zip"], key="train_zip",
                                      max_upload_size=MAX_ZIP_BYTES // 2 ** 20)  # the server's own limit is 20 MB
            upload_name = st.text_input("Name for the data set", key="train_zip_name",
                                        placeholder="the zip's name")
            if st.button("Unpack", disabled=upload is None, key="train_unpack"):
                try:
                    folder = unpack_class_zip(upload, upload_name.strip() or upload.name.rsplit(".", 1)[0])
                    st.success(plain(f"Unpacked into {folder.name}: "
                                     f"{', '.join(sorted(p.name for p in folder.iterdir()))[:200]}"))
                    mine.append(folder.name)
                    st.session_state["train_upload_pick"] = folder.name  # the new set, picked below
                except GenLabError as error:
                    st.error(plain(error))
        if not mine:
            return
        c = st.columns([3, 1])
        picked = c[0].selectbox("Your data set", sorted(mine), key="train_upload_pick")
        size = c[1].selectbox("Image size", [16, 28, 32, 48, 64], index=2, key="train_upload_size",
                              help="Pictures are resized to this many pixels a side (and made grey when every "
                                   "picture is grey).")
        dataset = folder_name(root / picked, size)

    top = st.columns(3)
    epochs = top[0].number_input("Epochs", 1, 1000, EPOCHS_DEFAULT.get(family, 10), key=f"train_epochs_{family}")
    seed = top[1].number_input("Seed", 0, 2 ** 31 - 1, global_seed(), key="train_seed")
    snapshots = top[2].number_input("Snapshots", 0, 50, 4, key="train_snapshots",
                                    help="Samples from fixed noise taken along training, for the training history. "
                                         "Each diffusion snapshot runs the whole sampler.")

    config_cls = get_family(family).Config
    defaults = {**{f.name: f.default for f in dataclasses.fields(config_cls)}, **family_defaults(family)}
    overrides = {}
    with st.expander("Settings (each starts at the family's default)"):
        columns = st.columns(3)
        shown = [f for f in dataclasses.fields(config_cls) if f.name not in DERIVED_FIELDS
                 and isinstance(defaults[f.name], (bool, int, float, str))]
        for i, f in enumerate(shown):
            default = defaults[f.name]
            key = f"train_cfg_{family}_{f.name}"
            with columns[i % 3]:
                if isinstance(default, bool):
                    value = st.checkbox(f.name, default, key=key)
                elif isinstance(default, int):
                    value = st.number_input(f.name, value=default, step=1, key=key)
                elif isinstance(default, float):
                    value = st.number_input(f.name, value=default, format="%g", key=key)
                else:
                    value = st.text_input(f.name, default, key=key)
            if value != default:
                overrides[f.name] = type(default)(value)

    label = dataset.rsplit("/", 1)[-1] if dataset.startswith("folder") else dataset
    taken = {c["name"] for c in checkpoint_listing()}
    base = f"{family}-{safe_name(label)}"
    suggested = next(n for n in [base] + [f"{base}-{i}" for i in range(2, 10_000)] if n not in taken)
    name = st.text_input("Save as", suggested, key=f"train_name_{family}_{label}", max_chars=60)
    if st.button("Train", type="primary", key="train_go"):
        try:
            out = checkpoints.user_dir() / name.strip()
            if not name.strip() or name.strip() != out.name or name.strip().startswith("."):
                raise GenLabError("the name must be a plain folder name (no '/' or leading '.')")
            if name.strip() in taken:
                raise GenLabError(f"a checkpoint named {name.strip()} exists already; choose another name")
            checkpoints.check_target(out, overwrite=False)
            try:  # every setting checked against its family's range now, not when the job starts
                get_family(family).config_for(load_dataset(dataset, data_root),
                                              **{**family_defaults(family), **overrides})
            except ValueError as error:
                raise GenLabError(f"bad setting: {error}") from None
            command = shlex.join(["python", "-m", "gen_core.train", family, "--dataset", dataset, "--epochs",
                                  str(epochs), "--seed", str(seed)] + (["--data-root", data_root] if data_root else [])
                                 + [a for k, v in overrides.items() for a in ("--set", f"{k}={v}")]
                                 + ["--out", str(out)])
            spec = dict(family=family, dataset=dataset, data_root=data_root, epochs=int(epochs), seed=int(seed),
                        device=str(current_device()), out=str(out), overrides=dict(overrides),
                        snapshots=int(snapshots), command=command)
            submit(f"{family} on {label}, {epochs} epochs → {out.name}", "train", spec)
        except GenLabError as error:
            st.error(plain(error))


def model_exchange() -> None:
    """Any listed model as a zip and its training curves as CSV; a zip from another GenLab imported back, checked
    like every upload (gen_core.checkpoint_archive) before it joins the model lists."""
    st.subheader("Download or import a model")
    entries = [c for c in checkpoint_listing() if "error" not in c["card"]]
    names = [c["name"] for c in entries]
    pick = st.selectbox("Model", names, key="train_export_pick", bind="query-params",
                        help="Shipped models and every one trained or imported here")
    if pick:
        entry = entries[names.index(pick)]
        st.caption(plain(f"{entry['card']['family']} on {entry['card']['dataset']['name']} ({entry['source']}): the "
                         f"zip holds its weights, card, README model card and history.csv."))
        checkpoint_downloads(Path(entry["path"]), key="train_export")
    with st.expander("Import a model (.zip downloaded from GenLab)"):
        upload = st.file_uploader("Model zip", type=["zip"], key="train_import_zip",
                                  max_upload_size=checkpoint_archive.MAX_ZIP_BYTES // 2 ** 20)
        name = st.text_input("Name for it", key="train_import_name", placeholder="the zip's folder name")
        if st.button("Import", disabled=upload is None, key="train_import"):
            try:
                folder = checkpoint_archive.import_zip(upload.getvalue(), name.strip())
                checkpoint_listing.clear()
                st.success(plain(f"Imported {folder.name}: it is in every page's model list now."))
            except GenLabError as error:
                st.error(plain(error))


left, right = st.columns([3, 2], gap="large")
with left:
    training_form()
    model_exchange()

with right:
    st.subheader("Jobs")
    panel("train")
