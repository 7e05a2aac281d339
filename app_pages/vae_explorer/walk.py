"""Walk tab: a linear or spherical path in the latent space between two map clicks or two test images, decoded
frame by frame, played in the browser and drawn on the map."""
import numpy as np
import streamlit as st
import torch

from app_pages.vae_explorer.explorer import METHOD_LABELS, Explorer, decode, map_for, place_of
from gen_core import embed, latent, render
from ui import latent_map
from ui.images import show_grid
from ui.player import player_html
from ui.settings import label_px
from ui.widget_keys import VAE


@st.fragment
def show(ex: Explorer) -> None:
    name, class_names, latent_dim = ex.name, ex.class_names, ex.latent_dim
    mu, labels, method_key = ex.mu, ex.labels, ex.method_key
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
    frames = cols[3].slider("Frames", 4, 32, 10, key=VAE.FRAMES, bind="query-params")
    method = st.session_state.get(method_key, "latent" if latent_dim == 2 else "umap")
    projection = map_for(ex, method) or map_for(ex, "pca")
    inverse = embed.MapInverse(projection.coords, mu, exact=projection.method == "latent")
    ends = picks if use_picks else [int(a), int(b)]
    z_ends = [torch.from_numpy(mu[p]) if isinstance(p, (int, np.integer)) else torch.from_numpy(inverse(p)[0])
              for p in ends]
    path_z = latent.interpolate(z_ends[0], z_ends[1], frames, path)
    images = decode(ex, path_z)
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
