"""Generation tab: a generative classifier draws new examples of each class; a discriminative one has nothing
to sample."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

from app_pages.gen_vs_disc.common import colour, task, timed, to_images
from gen_core import classifiers
from gen_core.labs import classifiers as lab
from ui.charts import legible
from ui.images import show_grid
from ui.settings import global_seed


@st.cache_data(show_spinner=False, max_entries=32)
def samples_of(data_key: tuple, name: str, per_class: int, seed: int):
    X_train, y_train, X_test, y_test, image_shape, _ = task(*data_key)
    model = lab.quiet_fit(classifiers.make(name, seed), X_train, y_train)
    classes = np.unique(y_train)
    X = np.vstack([model.sample(per_class, y=k, random_state=seed + int(k))[0] for k in classes])
    return X, np.repeat(classes, per_class)


def show(data_key: tuple) -> None:
    X_train, image_shape = task(*data_key)[0], task(*data_key)[4]
    st.markdown("A generative classifier is a model of the data, so it can draw new examples of each class. A "
                "discriminative classifier only knows where the boundaries are: there is nothing to sample.")
    c = st.columns([2, 2])
    generative = c[0].selectbox("Generative model", classifiers.GENERATIVE, key="gvd_gen_model", bind="query-params")
    c[1].selectbox("Discriminative model", classifiers.DISCRIMINATIVE, key="gvd_gen_disc", bind="query-params")
    per_class = 8 if image_shape is not None else 200
    (X, y), seconds = timed(samples_of, data_key, generative, per_class, global_seed())
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{generative}: samples, one row per class**" if image_shape is not None else
                    f"**{generative}: samples against the data**")
        if image_shape is not None:
            show_grid(to_images(data_key, X), nrow=per_class, caption=f"{len(X)} samples drawn in {seconds:.2f} s")
        else:
            figure = go.Figure([go.Scatter(x=X_train[:1500, 0], y=X_train[:1500, 1], mode="markers", name="data",
                                           marker=dict(size=3, color="#cccccc")),
                                go.Scatter(x=X[:, 0], y=X[:, 1], mode="markers", name="samples",
                                           marker=dict(size=4, color=[colour(k) for k in y]))])
            figure.update_layout(height=380, margin=dict(l=10, r=10, t=10, b=10), xaxis_title="x₁",
                                 yaxis_title="x₂")
            st.plotly_chart(legible(figure), width="stretch", key="gvd_gen_chart")
    with right:
        st.markdown(f"**{st.session_state.gvd_gen_disc}**")
        st.info(f"{st.session_state.gvd_gen_disc} models p(y | x) only. It has no p(x | y) to draw from, so it "
                "cannot generate an example of any class.")
