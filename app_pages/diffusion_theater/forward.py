"""Forward tab: x_t under both schedules for one test image and one noise draw, the schedules' curves with t
marked, and what the model sees at t with its guess of x_0. In a fragment: moving t redraws only this tab."""
from __future__ import annotations

import numpy as np
import streamlit as st
from gen_core.device import make_generator
import torch

from gen_core.labs import diffusion as lab
from gen_core import render
from ui.charts import schedule_picture
from app_pages.diffusion_theater.context import Theater
from ui.settings import global_seed, label_px
from ui.widget_keys import DIFFUSION


def schedule_figure(T: int, t: int):
    """beta_t, abar_t and SNR(t) of both schedules with t marked, as a picture (ui.charts.schedule_picture)."""
    return schedule_picture(lab.schedule_curves(T), t, font_px=label_px())


@st.fragment
def show(theater: Theater) -> None:
    st.markdown(r"The forward process needs no training: $x_t = \sqrt{\bar\alpha_t}\,x_0 + \sqrt{1-\bar\alpha_t}\,"
                r"\epsilon$ with $\bar\alpha_t = \prod_{s \le t}(1-\beta_s)$. Slide $t$ and compare the two schedules "
                r"on the same image and the same noise $\epsilon$.")
    dataset, T = theater.dataset, theater.T
    c = st.columns([1, 1, 3])
    c[0].number_input("Test image #", 0, len(dataset.x_test) - 1, 0, key="diff_fwd_index", bind="query-params")
    c[1].button("Random image", icon=":material/casino:", on_click=lambda: st.session_state.update(
        diff_fwd_index=int(np.random.default_rng().integers(len(dataset.x_test)))))
    t = c[2].slider("Timestep t", 0, T - 1, 250, key=DIFFUSION.FWD_T, bind="query-params")
    index = st.session_state.diff_fwd_index
    x0 = dataset.x_test[index:index + 1]
    eps = torch.randn(x0.shape, generator=make_generator(global_seed()))
    scale = 96 // x0.shape[-1]
    views = lab.forward_views(x0, eps, T, t)
    for column, (schedule, view) in zip(st.columns(2), views.items()):
        with column:
            st.markdown(f"**{schedule} schedule**" + (" (this model's)" if schedule == theater.config["schedule"] else ""))
            st.latex(rf"x_{{{t}}} = \underbrace{{{view['a']:.3f}}}_{{\sqrt{{\bar\alpha_t}}}}\,x_0 + "
                     rf"\underbrace{{{view['b']:.3f}}}_{{\sqrt{{1-\bar\alpha_t}}}}\,\epsilon \qquad "
                     rf"\mathrm{{SNR}} = {view['snr']:.3g}")
            st.image(render.side_by_side([render.grid(x0, scale=scale), render.grid(view["x_t"].clamp(-1, 1), scale=scale)]),
                     caption=f"x_0 and x_{t}", output_format="PNG")
            st.image(render.grid(view["strip"].clamp(-1, 1), nrow=len(view["strip_t"])),
                     caption="t = " + ", ".join(map(str, view["strip_t"])), width="stretch", output_format="PNG")
    st.image(schedule_figure(T, t), output_format="PNG",
             caption=f"Both schedules over t, with t = {t} marked: the noise added per step, the signal kept, and the "
                     "signal-to-noise ratio (log scales)")
    x_t, x0_hat = lab.model_view(theater.core, theater.name, x0, eps, t)
    st.image(render.side_by_side([render.grid(x_t.clamp(-1, 1), scale=scale), render.grid(x0_hat.clamp(-1, 1), scale=scale)]),
             caption=f"What this model sees at t = {t} ({theater.config['schedule']} schedule), and its guess of x_0 "
                     "from it", output_format="PNG")
