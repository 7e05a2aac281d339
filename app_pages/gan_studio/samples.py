"""Samples tab: a grid of samples with the discriminator's opinion of each (seed, count, truncation, classes), and
whether they are new or memorised: each sample's nearest training images beside held-out data's distances."""
import streamlit as st
import torch

from app_pages.gan_studio.studio import (CLASS_ROWS, RANDOM_CLASSES, Studio, batch_inputs, current_batch,
                                        current_nearest)
from gen_core import metrics, render
from gen_core.labs import gan as gan_lab
from ui.charts import histogram_picture
from ui.exports import sample_downloads
from ui.images import labelled_grid
from ui.lab_cache import Data, ahead, lab_call
from ui.loaders import get_dataset
from ui.settings import MAX_SEED, clamp_state, global_seed, label_px, next_seed, projector, seed_input
from ui.text import plain
from ui.widget_keys import GAN


@st.cache_data(show_spinner=False, max_entries=32)
def grid_png(batch_key: tuple, _x: torch.Tensor, tile_labels: tuple, per_row: int, row_labels: tuple | None,
             tile_px: int, font_px: int) -> bytes:
    """The labelled grid as PNG bytes, drawn and encoded once per batch (named by `batch_key`: model, settings,
    seed; the tensor itself is not hashed) for every session of the process: a class pressing New samples
    together sees the same grid."""
    return render.png_bytes(render.labelled_grid(_x, list(tile_labels), per_row, tile_px=tile_px,
                                                 row_labels=list(row_labels) if row_labels else None,
                                                 font_px=font_px))


def grid_picture(batch_key: tuple, batch: dict, per_row: int, row_labels: tuple | None, tile_px: int,
                 font_px: int) -> bytes:
    """The grid of a batch with D's opinion under each tile (grid_png, cached per batch)."""
    tile_labels = tuple(f"#{i} D={v:.2f}" for i, v in enumerate(batch["d"].tolist()))
    return grid_png(batch_key, batch["x"], tile_labels, per_row, row_labels, tile_px, font_px)


@st.cache_data(show_spinner=False, max_entries=32)
def distance_png(batch_key: tuple, _distance: torch.Tensor, _baseline: torch.Tensor, font_px: int) -> bytes:
    """The samples' distances to their nearest training image beside held-out real images', once per batch."""
    return render.png_bytes(histogram_picture({"samples": _distance.numpy(), "held-out real": _baseline.numpy()},
                                              "Distance to the nearest training image",
                                              "Euclidean distance in pixel space", font_px=font_px, size=(440, 330)))


def next_pictures(batch_key: tuple, inputs: tuple, drawing: tuple, dataset_name: str) -> None:
    """The batch, grid, nearest training images and distance histogram of `batch_key`, into their caches (for a
    thread working ahead)."""
    batch = lab_call(gan_lab.samples_batch, *inputs)
    grid_picture(batch_key, batch, *drawing)
    if len(get_dataset(dataset_name).x_train):  # the training images are here
        device, name, *rest = inputs
        near = lab_call(gan_lab.nearest_training, device, name, Data(dataset_name), *rest)
        distance_png(batch_key, near["distance"], metrics.held_out_distances(dataset_name), drawing[-1] + 2)


@st.fragment
def show(studio: Studio) -> None:
    dataset, class_names, conditional = studio.dataset, studio.class_names, studio.conditional
    controls = st.columns([3, 2, 4, 4])  # the first holds the seed and 'New samples' (cut off when narrower)
    seed_input("Seed", "gan_seed", global_seed(), where=controls[0])
    controls[0].button("New samples", icon=":material/casino:", on_click=next_seed, args=("gan_seed",))
    controls[1].select_slider("Samples", [40, 80, 120] if conditional else [16, 32, 64], key="gan_count", bind="query-params",
                              value=gan_lab.GRID_COUNT[conditional])
    controls[2].slider("Truncation ψ", 0.0, 1.5, 1.0, 0.05, key=GAN.TRUNCATION, bind="query-params",
                       help="Samples use ψ·z: ψ < 1 pulls z towards the mean, trading diversity for quality; "
                            "ψ = 0 gives one 'average' image.")
    if conditional:
        controls[3].selectbox("Classes", [CLASS_ROWS, RANDOM_CLASSES, *class_names], key="gan_classes", bind="query-params")
    batch = current_batch(studio)
    psi = st.session_state[GAN.TRUNCATION]
    x, d = batch["x"], batch["d"]
    classes = st.session_state.get("gan_classes", CLASS_ROWS)
    by_class_rows = conditional and classes == CLASS_ROWS
    per_row = len(x) // len(class_names) if by_class_rows else 8
    what = ("one row per class" if by_class_rows else f"all class {classes}" if conditional and classes != RANDOM_CLASSES
            else "random classes" if conditional else "unconditional")
    seed = st.session_state["gan_seed"]
    batch_key = (studio.name, str(studio.core.device), len(x), seed, psi, classes)
    drawing = (per_row, tuple(class_names) if by_class_rows else None, int(84 * (1.5 if projector() else 1.0)),
               label_px())
    picture = grid_picture(batch_key, batch, *drawing)
    st.image(picture, caption=f"{len(x)} samples, seed {st.session_state['gan_seed']}, ψ = {psi:.2f}, {what}",
             output_format="PNG")
    sample_downloads(picture, x, f"{studio.name}-seed{st.session_state['gan_seed']}-psi{psi:.2f}", key="gan_samples")
    st.caption(f"D = the discriminator's probability that the image is real. Mean over the grid: "
               f"**{float(d.mean()):.2f}**. ψ = {psi:.2f}: pixel spread across the grid "
               f"{float(x.std(0).mean()):.3f} (lower = less diverse).")

    if seed < MAX_SEED:  # what New samples shows next, made while the class looks at this grid: started once this
        # grid is on its way (before, it competed with drawing it), yet as early as that (a class pressing New samples
        # together right after opening the page waited on it when it started after the check below)
        next_key, inputs = batch_key[:3] + (seed + 1,) + batch_key[4:], batch_inputs(studio, seed + 1)
        ahead(("gan_samples", next_key, drawing), lambda: next_pictures(next_key, inputs, drawing, dataset.name))

    st.subheader("New, or memorised?")
    if len(dataset.x_train) == 0:  # a fresh clone without the training images: nothing to compare with
        st.info(plain(f"No training images to compare with here: {dataset.description}."))
    else:
        memorised(studio, batch_key, batch, drawing)


def memorised(studio: Studio, batch_key: tuple, batch: dict, drawing: tuple) -> None:
    """The memorisation check: a sample beside its nearest training images, and every sample's distance to its
    nearest against held-out real images'."""
    dataset, class_names, x, d = studio.dataset, studio.class_names, batch["x"], batch["d"]
    near = current_nearest(studio)  # after the grid is on its way: the grid never waits on this check
    distance = near["distance"]
    baseline = metrics.held_out_distances(dataset.name)
    left, right = st.columns([3, 2])
    with left:
        clamp_state("gan_inspect", 0, len(x) - 1, default=0)
        pick = st.number_input("Inspect sample #", min_value=0, max_value=len(x) - 1, key="gan_inspect", bind="query-params")
        close, far = near["close"][pick], near["close_distance"][pick]  # the 4 nearest, found for every sample
        sheet = torch.cat([x[pick:pick + 1], dataset.x_train[close]])
        st.image(labelled_grid(sheet, [f"sample #{pick}"] + [f"d={float(v):.2f}" for v in far], 5, tile_px=96),
                 caption=f"sample #{pick} (D={float(d[pick]):.2f}) and its nearest training images: "
                         + ", ".join(f"#{int(i)} ({class_names[int(dataset.y_train[i])]})" for i in close),
                 output_format="PNG")
        st.markdown(f"Held-out real images lie a median **{float(baseline.median()):.2f}** from their nearest "
                    f"training image; these samples lie **{float(distance.median()):.2f}**. A sample much closer "
                    f"than real held-out data is a near-copy: the overfitting a small dataset invites.")
    with right:
        # drawn near the column's width, so its labels stay readable (larger in projector mode)
        st.image(distance_png(batch_key, distance, baseline, drawing[-1] + 2), output_format="PNG")
