"""Your embeddings: upload vectors from any model (with labels, metadata and thumbnails if you have them) and
explore them on GenLab's map: UMAP / PCA / t-SNE, colour, search, nearest neighbours in the original space, and a
link that reopens the same view (gen_core.own_embeddings does the work)."""
import numpy as np
import streamlit as st

from gen_core import own_embeddings as O
from gen_core.embed import cached_projection
from gen_core.errors import GenLabError
from ui.background import start_once
from ui.latent_map import map_data, show_map
from ui.settings import label_px
from ui.text import plain

METHODS = {"PCA": "pca", "UMAP": "umap", "t-SNE": "tsne"}
MARKED = 25  # search hits drawn as labelled crosses (all hits are counted)

st.title("Your embeddings")
st.markdown("Bring vectors from any model (a `.npy` or `.csv`, one row per item) and look at them the way the "
            "VAE Explorer looks at its latent space: a 2-D map by UMAP, PCA or t-SNE, coloured by label or any "
            "metadata column, searchable, and for any point its **nearest neighbours in the original space** (the "
            "map distorts distances; the list does not). The address bar keeps the view: set, projection, colour, "
            "search and the picked point.")


@st.cache_resource(show_spinner=False, max_entries=8)
def load_set(set_id: str) -> O.Embeddings:
    return O.load(set_id)


with st.expander("Add embeddings", expanded=not O.stored()):
    c = st.columns(3)
    limit = O.MAX_BYTES // 2 ** 20  # above the server's 20 MB for single pictures: 20,000 x 768 floats is 61 MB
    vectors_file = c[0].file_uploader("Vectors (.npy or .csv)", type=["npy", "csv"], key="emb_vectors",
                                      max_upload_size=limit)
    labels_file = c[1].file_uploader("Labels and metadata (optional: .txt, .csv)", type=["txt", "csv"],
                                     key="emb_labels", max_upload_size=limit)
    thumbs_file = c[2].file_uploader("Thumbnails (optional: .npy, N x H x W)", type=["npy"], key="emb_thumbs",
                                     max_upload_size=limit)
    set_name = st.text_input("Name", key="emb_name", max_chars=80)
    b = st.columns([1, 2, 3])
    if b[0].button("Add", type="primary", disabled=vectors_file is None, key="emb_add"):
        try:
            emb = O.build((vectors_file.getvalue(), vectors_file.name),
                          (labels_file.getvalue(), labels_file.name) if labels_file else None,
                          thumbs_file.getvalue() if thumbs_file else None, set_name)
            st.session_state["emb"] = emb.id
        except GenLabError as error:
            st.error(plain(error))
    if b[1].button("Open an example (digits)", key="emb_example"):
        st.session_state["emb"] = O.digits_example().id

sets = dict(O.stored())
if not sets:
    st.info("No embeddings on this server yet: add some above, or open the example.")
    st.stop()
if st.session_state.get("emb") not in sets:
    st.session_state.pop("emb", None)
set_id = st.selectbox("Embedding set", list(sets), format_func=lambda i: sets[i], key="emb", bind="query-params")
try:
    emb = load_set(set_id)
except GenLabError as error:
    st.error(plain(error))
    st.stop()

columns = ["label"] + [str(c) for c in emb.metadata.columns]
c = st.columns([2, 2, 3, 2])
method_label = c[0].radio("Projection", list(METHODS), horizontal=True, key="emb_method", bind="query-params")
colour_by = c[1].selectbox("Colour by", columns, key="emb_color", bind="query-params")
query = c[2].text_input("Search labels and metadata", key="emb_query", bind="query-params", max_chars=100)
metric = c[3].radio("Neighbour distance", O.METRICS, horizontal=True, key="emb_metric", bind="query-params")


def projection(method: str):
    """Coordinates for the map, computed once per set and method and cached on disk; UMAP in the background
    (its first fit in a process compiles for 15-35 s), with PCA shown until it is ready."""
    def compute():
        return cached_projection(emb.folder, emb.id, "own", emb.vectors, method).coords
    if method != "umap":
        return compute(), method
    job = start_once(f"own-umap-{emb.id}", compute)
    if job.done() and job.exception() is None:
        return job.result(), method
    if job.done():
        st.error(plain(f"UMAP failed: {job.exception()}"))
    return cached_projection(emb.folder, emb.id, "own", emb.vectors, "pca").coords, "pca"


@st.fragment
def explorer():
    coords, shown = projection(METHODS[method_label])
    if shown != METHODS[method_label]:
        st.info("UMAP is being computed (its first fit on a server compiles for 15-35 s); PCA meanwhile. "
                "This view refreshes by itself.")
    values = emb.labels if colour_by == "label" else emb.metadata[colour_by].astype(str).to_numpy()
    categories, codes = np.unique(values.astype(str), return_inverse=True)
    hits = O.search(emb, query)
    marks = {f"{emb.labels[i]} ({i})": tuple(coords[i]) for i in hits[:MARKED]}
    tips = [f"{emb.labels[i]} · #{i}" for i in range(len(coords))]
    left, right = st.columns([3, 2], gap="large")
    with left:
        if query:
            st.caption(plain(f"{len(hits)} match '{query}'" + (f"; the first {MARKED} are marked" if len(hits) > MARKED
                                                                  else "; marked with crosses")))
        click = show_map(map_data(coords, codes, categories, f"{emb.name}: {len(coords)} points, "
                                  f"{emb.vectors.shape[1]}-D, {shown.upper()}", places=False, marks=marks, tips=tips,
                                  height=520, font=label_px(), legend_title=str(colour_by),
                                  view_id=f"{emb.id}:{shown}"), key=f"emb_map_{emb.id}_{shown}")
    if click is not None and click["index"] >= 0:
        st.query_params["emb_point"] = str(click["index"])
    try:
        point = int(st.query_params.get("emb_point", -1))
    except ValueError:
        point = -1
    with right:
        if not 0 <= point < len(coords):
            st.markdown("**Click a point** to see its nearest neighbours in the original space.")
            return
        st.markdown(plain(f"#{point}: {emb.labels[point]}"))
        if len(emb.metadata.columns):
            st.dataframe(emb.metadata.iloc[[point]], hide_index=True)
        k = st.slider("Neighbours", 1, 30, 10, key="emb_k")
        order, distance = O.neighbours(emb.vectors, point, k, metric)
        table = {"#": order, "label": emb.labels[order], f"{metric} distance": np.round(distance, 4)}
        st.dataframe(table, hide_index=True)
        same = float(np.mean(emb.labels[order] == emb.labels[point]))
        st.caption(plain(f"{same:.0%} of the {k} nearest share its label."))
        if emb.thumbnails is not None:
            st.image([emb.thumbnails[point]] + [emb.thumbnails[i] for i in order],
                     caption=["picked"] + [f"{emb.labels[i]}" for i in order], width=56, clamp=True)
    if shown != METHODS[method_label]:
        import time
        time.sleep(2)
        st.rerun(scope="fragment")


explorer()
