"""Map tab: the test set's latent means on a UMAP / PCA / t-SNE map (or the 2-D latent itself). A click on a dot
shows its reconstruction and ELBO terms (hovering one shows its image); a click on empty space decodes that place."""
import numpy as np
import streamlit as st
import torch

from app_pages.vae_explorer.explorer import METHOD_LABELS, Explorer, decode, map_for, pick
from gen_core import embed
from gen_core.models import vae
from ui import latent_map
from ui.images import labelled_grid
from ui.settings import label_px


def current_map(ex: Explorer) -> tuple[embed.Projection, embed.MapInverse]:
    latent_dim, mu, method_key = ex.latent_dim, ex.mu, ex.method_key
    methods = (["latent"] if latent_dim == 2 else []) + ["umap", "pca", "tsne"]
    method = st.radio("Projection", methods, format_func=METHOD_LABELS.get, horizontal=True, key=method_key, bind="query-params",
                      help="UMAP and t-SNE keep neighbours together; PCA keeps the two directions of largest "
                           "variance. For a 2-D latent the map can be the latent space itself.")
    projection = map_for(ex, method)
    if projection is None:
        st.info(f"{METHOD_LABELS[method]} is being computed in the background (UMAP compiles for up to 30 s the "
                f"first time); showing PCA until it is ready. Re-run the page or pick it again in a moment.")
        projection = map_for(ex, "pca")
    return projection, embed.MapInverse(projection.coords, mu, exact=projection.method == "latent")


def map_title(ex: Explorer, method: str) -> str:
    dataset = ex.dataset
    if method == "latent":
        return f"{dataset.name} test set, the latent means, plotted as they are (exact)"
    return f"{dataset.name} test set, {METHOD_LABELS[method]} of the latent means"


@st.cache_data(show_spinner=False, max_entries=16)
def map_data(checkpoint: str, method: str, _coords, _labels, class_names, title: str, font: int,
             thumbs: dict | None) -> dict:
    """What the clickable map draws, built once per model, projection and label size (a click reruns the map); a
    hovered dot shows its test image (`thumbs`, sprite sheets app.py serves)."""
    return latent_map.map_data(_coords, _labels, class_names, title, font=font, view_id=f"{checkpoint}:{method}",
                               thumbs=thumbs)


@st.fragment
def show(ex: Explorer) -> None:
    name, class_names, mu, labels = ex.name, ex.class_names, ex.mu, ex.labels
    projection, inverse = current_map(ex)
    left, right = st.columns([3, 2])
    with left:
        data = map_data(name, projection.method, projection.coords, labels, class_names, map_title(ex, projection.method),
                        label_px(), latent_map.test_set_thumbs(ex.dataset))
        picks = st.session_state.get("vae_picks", [])
        if picks and isinstance(picks[-1], (int, np.integer)):  # a dot picked before (or in a link) is ringed
            data["picked"] = {"index": int(picks[-1]), "x": data["x"][picks[-1]], "y": data["y"][picks[-1]]}
        clicked = latent_map.show_map(data, key=f"vae_map_{name}_{projection.method}")
        st.caption(f"{len(mu)} test images · map from {projection.source} in {projection.seconds * 1000:.0f} ms · "
                   f"hover a dot to see it, click it for its reconstruction, or empty space to decode that place; "
                   f"scroll to zoom, shift-drag to pan, shift-double-click to reset.")
    point = clicked
    if point is None and picks:  # no click in this browser yet, but the session (or its link) has one: show it
        last = picks[-1]
        point = {"index": int(last), "x": 0.0, "y": 0.0} if isinstance(last, (int, np.integer)) else \
            {"index": -1, "x": float(last[0]), "y": float(last[1])}
    with right:
        if point is None:
            st.markdown("**Click the map.** A dot shows the test image, its reconstruction and its ELBO; empty "
                        "space is decoded.")
            return
        index = point["index"]
        selection_id = (index, round(point["x"], 4), round(point["y"], 4))
        # a click this session has not taken up yet (a pick restored from the URL is not a click). Only the open tab
        # runs, and opening the Walk or Traverse tab reruns the page, so they start from the new pick without a
        # page rerun here (that doubled the time from a click to its image).
        if clicked is not None and st.session_state.get("vae_selection_seen") != selection_id:
            st.session_state["vae_selection_seen"] = selection_id
            pick(index if index >= 0 else (point["x"], point["y"]))
        if index >= 0:
            show_test_point(ex, index)
        else:
            show_place(ex, (point["x"], point["y"]), inverse)
        picks = st.session_state.get("vae_picks", [])
        st.caption("Walk ends (the last two clicks): " + ", ".join(
            f"{'AB'[k]} = " + (f"test #{p}" if isinstance(p, (int, np.integer)) else f"({p[0]:.2f}, {p[1]:.2f})")
            for k, p in enumerate(picks)) + ". See the Walk tab.")


def show_test_point(ex: Explorer, index: int):
    name, core, dataset = ex.name, ex.core, ex.dataset
    class_names, codes, labels, elbo = ex.class_names, ex.codes, ex.labels, ex.elbo
    x = dataset.x_test[index:index + 1]
    recon = core.run(name, lambda m: vae.reconstruct(m.model, x.to(core.device)).cpu())
    st.image(labelled_grid(torch.cat([x, recon]), ["original", "reconstruction"], 2, tile_px=128),
             caption=f"test #{index}, class {class_names[labels[index]]}", output_format="PNG")
    a, b, c = st.columns(3)
    a.metric("ELBO", f"{elbo[index]:.1f}")
    b.metric("−log p(x|z)", f"{codes['recon_nll'][index]:.1f}")
    c.metric("KL", f"{codes['kl'][index]:.2f}")
    st.caption("Nats for this image, from one sample z ~ q(z|x): ELBO = −reconstruction − KL. The test-set median "
               f"ELBO is {np.median(elbo):.1f}.")


def show_place(ex: Explorer, xy, inverse: embed.MapInverse):
    dataset = ex.dataset
    z, distance = inverse(xy)
    image = decode(ex, z[None])
    nearest = int(np.argmin(np.linalg.norm(inverse.coords - np.asarray(xy, dtype=np.float32), axis=1)))
    st.image(labelled_grid(torch.cat([image, dataset.x_test[nearest:nearest + 1]]),
                                  ["decoded here", f"nearest: test #{nearest}"], 2, tile_px=128),
             caption=f"the place ({xy[0]:.2f}, {xy[1]:.2f}) on the map", output_format="PNG")
    if inverse.exact:
        st.markdown(f"**Exact**: this map is the 2-D latent space, so the image is the decoder's mean at "
                    f"z = ({xy[0]:.2f}, {xy[1]:.2f}).")
    else:
        st.markdown(f"**Approximate**: no cheap inverse exists for this map, so z is the inverse-distance-weighted "
                    f"mean of the latents of the {inverse.k} nearest dots.")
    st.metric("Distance to the nearest real point", f"{distance:.2f}",
              help="In map units. Far from every dot, the decoder is extrapolating where it saw no data.")
    st.caption(f"For scale, the map spans {inverse.scale:.1f} units corner to corner.")
