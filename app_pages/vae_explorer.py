"""VAE Latent Explorer: the test set's latent means on a 2-D map to click, walk and traverse; posterior collapse,
imputation and anomaly scores from the same models."""
import numpy as np
import streamlit as st
import torch

from gen_core import embed, latent, render
from gen_core.masks import MASKS, known_mask
from gen_core.data.images import image_from_file
from gen_core.errors import GenLabError
from gen_core.models import vae
from ui import latent_map, links
from ui.background import start_once
from ui.images import labelled_grid, show_grid
from ui.loaders import get_core, get_dataset, pick_checkpoint
from ui.notice import notice
from ui.player import player_html
from ui.settings import clamp_state, label_px, reproduce
from ui.text import plain

METHOD_LABELS = {"latent": "the latent itself (exact)", "umap": "UMAP", "pca": "PCA", "tsne": "t-SNE"}

st.title("VAE Latent Explorer")
st.markdown(r"An encoder maps each image $x$ to a Gaussian $q(z\mid x)=\mathcal N(\mu,\sigma^2)$; a decoder maps codes "
            r"back to images. Training maximises $\mathrm{ELBO}=\mathbb E_q[\log p(x\mid z)]-\mathrm{KL}(q(z\mid x)\,\|\,"
            r"\mathcal N(0,I))$. Below, every test image is a dot at its code $\mu$: click one, click empty space, walk "
            r"between two, and turn each dimension.")

by_name, name, loaded = pick_checkpoint(("vae",), "vae_model",
                                        resets=("vae_picks", "vae_base", "vae_selection_seen"),
                                        train_hint="python -m gen_core.train vae --dataset digits")
core = get_core()
card, config = loaded.card, loaded.card["config"]
dataset = get_dataset(card["dataset"]["name"])
class_names = list(dataset.class_names)
latent_dim = config["latent_dim"]
st.caption(f"{latent_dim}-d latent · beta = {config['beta']} · {card['steps']} steps on {plain(dataset.name)} · test ELBO "
           f"{card['metrics'].get('test_elbo', float('nan')):.1f} nats" + reproduce(card.get('command', '?')))


@st.cache_data(show_spinner=False, max_entries=8)
def encoded(checkpoint: str, device: str) -> dict:
    """The test set through the encoder: mu, logvar, labels, ELBO terms (cached per model and device)."""
    from ui.loaders import core_on
    return core_on(device).run(checkpoint, lambda m: vae.encode_dataset(m.model, m.card["dataset"]["name"]))


# The projection radio has one key per model: its options differ between models, and a radio whose state is
# forgotten on a model switch kept showing the old choice in the browser and sent it back on the next click.
method_key = f"vae_method_{name}"
codes = encoded(name, str(core.device))
mu, labels = codes["mu"], codes["labels"]
elbo = -(codes["recon_nll"] + codes["kl"])


def decode(z) -> torch.Tensor:
    return core.run(name, lambda m: vae.decode_latents(m.model, z))


def map_for(method: str) -> embed.Projection | None:
    """The projection if it is shipped or cached; otherwise start it in the background and return None."""
    args = (loaded.path, card["weights_sha256"], embed.test_set_id(dataset.name), mu, method)
    ready = embed.cached_projection(*args, compute=False)
    if ready is not None or method in ("latent", "pca"):
        return ready or embed.cached_projection(*args)  # PCA and the identity are instant
    job = start_once(f"{card['weights_sha256']}:{method}", embed.cached_projection, *args)
    return job.result() if job.done() else None


def pick(index_or_place) -> None:
    """Remember the last two places picked on the map (for the walk): a test index or an (x, y) place. They go in
    the URL too (?vae_picks=12;0.53,-1.20), so a link restores the clicks and the walk's ends."""
    picks = st.session_state.setdefault("vae_picks", [])
    picks.append(index_or_place)
    del picks[:-2]
    links.write("vae_picks", latent_map.encode_picks(picks))


if not st.session_state.get("vae_picks_adopted") and links.read("vae_picks"):  # a link's clicks, on the first run
    try:
        st.session_state["vae_picks"] = latent_map.decode_picks(links.read("vae_picks"), len(dataset.x_test))
    except ValueError as error:
        st.warning(f"Ignored vae_picks={plain(repr(links.read('vae_picks')[:80]))} from the link: {plain(error)}.")
st.session_state["vae_picks_adopted"] = True
links.write("vae_picks", latent_map.encode_picks(st.session_state.get("vae_picks", [])))  # forgotten: off the URL


# Stateful tabs: only the open tab runs (the map must not wait for the others), and ?vae_tab=Walk links to one.
map_tab, walk_tab, traverse_tab, collapse_tab, impute_tab = st.tabs(
    ["Map", "Walk", "Traverse", "Posterior collapse", "Impute & anomalies"], key="vae_tab", on_change="rerun",
    bind="query-params")


def current_map() -> tuple[embed.Projection, embed.MapInverse]:
    methods = (["latent"] if latent_dim == 2 else []) + ["umap", "pca", "tsne"]
    method = st.radio("Projection", methods, format_func=METHOD_LABELS.get, horizontal=True, key=method_key, bind="query-params",
                      help="UMAP and t-SNE keep neighbours together; PCA keeps the two directions of largest "
                           "variance. For a 2-D latent the map can be the latent space itself.")
    projection = map_for(method)
    if projection is None:
        st.info(f"{METHOD_LABELS[method]} is being computed in the background (UMAP compiles for up to 30 s the "
                f"first time); showing PCA until it is ready. Re-run the page or pick it again in a moment.")
        projection = map_for("pca")
    return projection, embed.MapInverse(projection.coords, mu, exact=projection.method == "latent")


def map_title(method: str) -> str:
    if method == "latent":
        return f"{dataset.name} test set, the latent means, plotted as they are (exact)"
    return f"{dataset.name} test set, {METHOD_LABELS[method]} of the latent means"


@st.cache_data(show_spinner=False, max_entries=16)
def map_data(checkpoint: str, method: str, _coords, _labels, class_names, title: str, font: int) -> dict:
    """What the clickable map draws, built once per model, projection and label size (a click reruns the map)."""
    return latent_map.map_data(_coords, _labels, class_names, title, font=font, view_id=f"{checkpoint}:{method}")


@st.fragment
def map_section():
    projection, inverse = current_map()
    left, right = st.columns([3, 2])
    with left:
        data = map_data(name, projection.method, projection.coords, labels, class_names, map_title(projection.method),
                        label_px())
        picks = st.session_state.get("vae_picks", [])
        if picks and isinstance(picks[-1], (int, np.integer)):  # a dot picked before (or in a link) is ringed
            data["picked"] = {"index": int(picks[-1]), "x": data["x"][picks[-1]], "y": data["y"][picks[-1]]}
        clicked = latent_map.show_map(data, key=f"vae_map_{name}_{projection.method}")
        st.caption(f"{len(mu)} test images · map from {projection.source} in {projection.seconds * 1000:.0f} ms · "
                   f"click a dot for its image, or empty space to decode that place; scroll to zoom, shift-drag to "
                   f"pan, shift-double-click to reset.")
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
            show_test_point(index)
        else:
            show_place((point["x"], point["y"]), inverse)
        picks = st.session_state.get("vae_picks", [])
        st.caption("Walk ends (the last two clicks): " + ", ".join(
            f"{'AB'[k]} = " + (f"test #{p}" if isinstance(p, (int, np.integer)) else f"({p[0]:.2f}, {p[1]:.2f})")
            for k, p in enumerate(picks)) + ". See the Walk tab.")


def place_of(p, projection) -> tuple[float, float]:
    return tuple(projection.coords[p]) if isinstance(p, (int, np.integer)) else tuple(p)


def show_test_point(index: int):
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


def show_place(xy, inverse: embed.MapInverse):
    z, distance = inverse(xy)
    image = decode(z[None])
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


@st.fragment
def walk_section():
    picks = st.session_state.get("vae_picks", [])
    st.markdown("Pick **A** and **B**: the last two places clicked on the map, or test images by number.")
    use_picks = len(picks) == 2 and st.toggle("Use my map clicks", True, key="vae_use_picks", bind="query-params")
    cols = st.columns(4)
    if use_picks:  # the clicks are the ends: say which, instead of greyed number boxes showing other values
        for column, letter, p in zip(cols, "AB", picks):
            column.markdown(f"**{letter}**: " + (f"test #{p}" if isinstance(p, (int, np.integer)) else
                                                  f"the place ({p[0]:.2f}, {p[1]:.2f})"))
        a = b = None
    else:
        default_a = picks[0] if len(picks) == 2 and isinstance(picks[0], (int, np.integer)) else 0
        default_b = picks[-1] if picks and isinstance(picks[-1], (int, np.integer)) else \
            int(np.argmax(labels != labels[0]))
        a = cols[0].number_input("A: test #", 0, len(mu) - 1, int(default_a), key="vae_a", bind="query-params")
        b = cols[1].number_input("B: test #", 0, len(mu) - 1, int(default_b), key="vae_b", bind="query-params")
    path = cols[2].radio("Path", latent.PATHS, horizontal=True, key="vae_path", bind="query-params")
    frames = cols[3].slider("Frames", 4, 32, 10, key="vae_frames", bind="query-params")
    method = st.session_state.get(method_key, "latent" if latent_dim == 2 else "umap")
    projection = map_for(method) or map_for("pca")
    inverse = embed.MapInverse(projection.coords, mu, exact=projection.method == "latent")
    ends = picks if use_picks else [int(a), int(b)]
    z_ends = [torch.from_numpy(mu[p]) if isinstance(p, (int, np.integer)) else torch.from_numpy(inverse(p)[0])
              for p in ends]
    path_z = latent.interpolate(z_ends[0], z_ends[1], frames, path)
    images = decode(path_z)
    show_grid(images, nrow=frames, caption=f"{path} path from A to B in the {latent_dim}-d latent space")
    places = np.stack([place_of(p, projection) for p in ends])
    if projection.method == "latent":
        drawn, note = path_z.numpy(), "drawn exactly: this map is the latent space"
    else:
        t = np.linspace(0, 1, frames)[:, None]
        drawn, note = (1 - t) * places[0] + t * places[1], "drawn as a straight line between A and B on this map"
    left, right = st.columns([1, 2])
    scale = render.auto_scale(images.shape[-2], 160)
    pictures = [render.to_pil(im, scale) for im in images]
    gif = render.gif_bytes(pictures + pictures[-2:0:-1], duration_ms=90)
    with left:  # played in the browser at the chosen speed: no server round trip per frame (ui/player.py)
        st.iframe(player_html(pictures, [f"step {k} of {frames - 1} from A to B" for k in range(frames)], start=0,
                              label="The walk from A to B"), height="content")
    left.download_button("Download GIF", gif, file_name=f"{name}-walk.gif", mime="image/gif")
    right.caption(f"The walk on the {METHOD_LABELS[projection.method]} map, {note}.")
    with right:
        latent_map.show_map(latent_map.map_data(projection.coords, labels, class_names, "the walk from A to B",
                                                clickable=False, path=drawn, height=460, font=label_px(),
                                                marks={"A": tuple(places[0]), "B": tuple(places[1])},
                                                view_id=f"{name}:{projection.method}"), key="vae_walk_map")


@st.fragment
def traverse_section():
    order = np.argsort(-codes["kl_per_dim"].mean(0))  # most informative dimensions first
    kl_dim = codes["kl_per_dim"].mean(0)
    picks = st.session_state.get("vae_picks", [])
    default = next((int(p) for p in reversed(picks) if isinstance(p, (int, np.integer))), 0)
    clamp_state("vae_base", 0, len(mu) - 1, default=default)
    base = st.number_input("Start from test #", min_value=0, max_value=len(mu) - 1, key="vae_base", bind="query-params",
                           help="Defaults to the last dot you clicked on the map.")
    z0 = torch.from_numpy(mu[base].copy())
    st.markdown("**One slider per latent dimension** (ordered by how much information it carries, its mean KL):")
    shown = order[:min(latent_dim, 16)]
    columns = st.columns(4)
    z = z0.clone()
    for k, dim in enumerate(shown):
        z[dim] = columns[k % 4].slider(f"z{dim} (KL {kl_dim[dim]:.2f})", -3.0, 3.0, float(np.clip(float(z0[dim]), -3, 3)),
                                       0.1, key=f"vae_z_{name}_{base}_{dim}")
    left, right = st.columns([1, 3])
    left.image(labelled_grid(torch.cat([dataset.x_test[base:base + 1], decode(z[None])]),
                                    [f"test #{base}", "decoded z"], 1, tile_px=128), output_format="PNG")
    rows = shown[:min(len(shown), 10)]
    values = torch.linspace(-3, 3, 9)
    grid = core.run(name, lambda m: vae.traversal_grid(m.model, z0, [int(d) for d in rows], values))
    with right:
        st.image(labelled_grid(grid, [f"{v:+.1f}" for v in values.tolist()] * len(rows), 9, tile_px=56,
                                      row_labels=[f"z{d} KL {kl_dim[d]:.2f}" for d in rows]),
                 caption=f"each row sets one dimension to -3σ … +3σ, the others stay at test #{base}'s code",
                 output_format="PNG")


@st.fragment
def collapse_section():
    st.markdown(r"**Posterior collapse**: when the KL term costs too much (a large $\beta$), the encoder sets "
                r"$q(z_j\mid x)=\mathcal N(0,1)$ for most dimensions, which then carry no information: their KL is 0. "
                r"A dimension is *active* when its mean KL exceeds 0.01 nats.")
    others = [n for n in by_name if n != name and by_name[n]["card"]["dataset"].get("name") == dataset.name
              and by_name[n]["card"]["config"]["latent_dim"] == latent_dim]
    betas = {n: by_name[n]["card"]["config"]["beta"] for n in others}
    default = max(betas, key=betas.get) if betas else None
    other = st.selectbox("Compare with", [None] + others, index=([None] + others).index(default),
                         format_func=lambda n: "nothing" if n is None else f"{n} (beta = {betas[n]})",
                         key="vae_compare", bind="query-params")
    groups = {f"{name} (beta = {config['beta']})": codes["kl_per_dim"].mean(0)}
    if other:
        groups[f"{other} (beta = {betas[other]})"] = encoded(other, str(core.device))["kl_per_dim"].mean(0)
    metric_columns = st.columns(len(groups))
    for column, (label, kl) in zip(metric_columns, groups.items()):
        column.metric(f"Active units: {label}", f"{int((kl > 0.01).sum())} / {len(kl)}")
    st.plotly_chart(render.bar_figure([f"z{k}" for k in range(latent_dim)], {k: v.tolist() for k, v in groups.items()},
                                      "Mean KL per latent dimension (nats)", "KL"), key="vae_kl_bars")
    if other:
        show = st.columns(2)
        for column, checkpoint in zip(show, (name, other)):
            with column:
                show_grid(core.sample(checkpoint, 32, seed=0), nrow=8, caption=f"samples of {checkpoint}", stretch=True)


def read_upload(upload, shape) -> torch.Tensor | None:
    """An uploaded picture at the model's size, or None after saying why it could not be read."""
    try:
        x = image_from_file(upload, shape)
    except GenLabError as error:
        st.error(plain(error))
        return None
    if st.checkbox("Invert (make a dark-on-light picture light-on-dark, like the training data)", key="vae_invert", bind="query-params"):
        x = -x
    return x


@st.fragment
def impute_section():
    left, right = st.columns(2)
    with left:
        st.subheader("Imputation")
        st.markdown("Hide part of an image; the VAE fills it in while the known pixels stay fixed "
                    "(generative models handle missing data by modelling the whole image).")
        c = st.columns(3)
        index = c[0].number_input("Test image #", 0, len(mu) - 1, 3, key="vae_impute_index", bind="query-params")
        mask_kind = c[1].selectbox("Hide", MASKS, key="vae_mask", bind="query-params")
        steps = c[2].slider("Steps", 1, 60, 30, key="vae_impute_steps", bind="query-params")
        x = dataset.x_test[index:index + 1]
        known = known_mask(tuple(x.shape), mask_kind)
        frames = core.run(name, lambda m: vae.impute(m.model, x, known, steps))
        shown = torch.cat([x, frames[0], frames[1], frames[len(frames) // 2], frames[-1]])
        st.image(labelled_grid(shown, ["original", "hidden", "step 1", f"step {len(frames) // 2}",
                                              f"step {steps}"], 5, tile_px=96),
                 caption=f"test #{index}: {mask_kind} hidden and filled in", output_format="PNG")
        error = float(((frames[-1] - x)[~known]).abs().mean())
        st.caption(f"Mean absolute error on the hidden pixels: {error:.3f} (on a [-1, 1] scale; grey fill: "
                   f"{float(x[~known].abs().mean()):.3f}).")
    with right:
        st.subheader("Anomaly score")
        st.markdown("A generative model gives every input a likelihood bound. Inputs unlike the training data get a "
                    "low ELBO; compare one with the test set's.")
        kind = st.radio("Input", ["a test image", "the same image inverted", "pure noise", "upload a picture"],
                        key="vae_anomaly_kind", bind="query-params", horizontal=True)
        probe = dataset.x_test[index]
        if kind == "the same image inverted":
            probe = -probe
        elif kind == "pure noise":
            probe = torch.rand(dataset.shape, generator=torch.Generator().manual_seed(int(index))) * 2 - 1
        elif kind == "upload a picture":
            upload = st.file_uploader("Picture", type=["png", "jpg", "jpeg", "bmp", "gif", "webp"], key="vae_upload")
            probe = read_upload(upload, dataset.shape) if upload is not None else None
            if probe is None:
                st.caption("Upload a picture to score it.")
                return
        score = float(core.run(name, lambda m: vae.elbo_of(m.model, probe[None], samples=16)))
        below = float((elbo < score).mean())
        st.plotly_chart(render.histogram_figure({"test images": elbo}, "ELBO of the test set (nats)", "ELBO")
                        .add_vline(x=score, line_color="red", annotation_text="this input"), key="vae_anomaly_hist")
        st.metric("This input's ELBO", f"{score:.1f} nats", help="Averaged over 16 draws of z.")
        st.markdown(f"Higher than **{below:.0%}** of test images' ELBOs." + (" Flagged as an anomaly: below the "
                    "1st percentile of the test set." if below < 0.01 else ""))
        st.image(render.to_pil(probe, render.auto_scale(probe.shape[-2], 96)), caption="the input")


for label, tab, section in (("Map", map_tab, map_section), ("Walk", walk_tab, walk_section),
                           ("Traverse", traverse_tab, traverse_section),
                           ("Posterior collapse", collapse_tab, collapse_section),
                           ("Impute & anomalies", impute_tab, impute_section)):
    if tab.open:
        with tab:
            notice("vae", label)
            section()
