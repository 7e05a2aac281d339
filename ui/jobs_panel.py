"""The server's one job queue (gen_core.jobs) and the panel that shows it: progress, live loss curves, cancel,
and where a finished model can be opened. Shared by the Train and Evaluate pages; jobs survive page switches
because they live in the server process, not in a session."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from gen_core import jobs as J
from ui.loaders import checkpoint_listing
from ui.registry import FAMILY_PAGES
from ui.text import plain

PAGE_OF_FAMILY = {"gan": "gan", "dcgan": "gan", "cgan": "gan", "cyclegan": "gan", "vae": "vae",
                  "biggan": "gan", "sagan": "gan", "stylegan": "gan",
                  "ddpm": "diffusion", "ldm": "diffusion", "flow": "flow", "ebm": "ebm",
                  "pixelcnn": "autoregressive", "rnn": "autoregressive", "hmm": "hmm",
                  "glow": "autoregressive",  # Glow has its tab in the Likelihood Lab, the autoregressive models' page
                  "d3pm": "diffusion", "vdm": "diffusion", "srdiff": "diffusion"}
SHOWN = 6  # newest jobs in the panel


@st.cache_resource(show_spinner=False)
def job_queue() -> J.JobQueue:
    """One queue per server process: one training or evaluation at a time, the rest wait their turn."""
    return J.JobQueue()


@st.cache_resource(show_spinner=False)
def _listed_after() -> set[int]:
    return set()


def refresh_listing_for(job: J.Job) -> None:
    """Once per finished training: re-read the checkpoint list so every page's picker has the new model now,
    not after the listing's 30 s cache runs out."""
    seen = _listed_after()
    if job.kind == "train" and job.status == J.DONE and job.id not in seen:
        seen.add(job.id)
        checkpoint_listing.clear()


def loss_frame(job: J.Job) -> pd.DataFrame | None:
    keys = [k for k in job.history if k != "step" and (k.startswith("loss") or k in ("nll", "elbo"))]
    if not job.history["step"] or not keys:
        return None
    return pd.DataFrame({k: job.history[k] for k in keys}, index=pd.Index(job.history["step"], name="step"))


def show_job(queue: J.JobQueue, job: J.Job) -> None:
    with st.container(border=True, key=f"job_{job.id}"):  # class st-key-job_N: one box per job
        head = st.columns([5, 1])
        head[0].markdown(f"**#{job.id}** {plain(job.title)} · *{job.status}*")
        if job.active and head[1].button("Cancel", key=f"cancel_job_{job.id}"):
            queue.cancel(job.id)
            st.rerun(scope="fragment")
        if job.status == J.QUEUED:
            st.caption(f"Waiting: {queue.position(job)} job(s) ahead. One job runs at a time on this server.")
        elif job.status == J.RUNNING:
            st.progress(job.fraction, text=job.message)
        elif job.status == J.FAILED:
            st.error(plain(job.error or "failed"))
        elif job.status == J.CANCELLED:
            st.caption(job.message)
        frame = loss_frame(job)
        if frame is not None and job.kind == "train":
            st.line_chart(frame, height=180, x_label="step", y_label="loss")
        if job.status == J.DONE and job.kind == "train":
            refresh_listing_for(job)
            path, card = job.result
            took = (job.finished or 0) - (job.started or 0)
            st.success(plain(f"Saved {path.name} in {took:.0f} s: "
                             f"{', '.join(f'{k} {v:.4g}' for k, v in card['metrics'].items() if isinstance(v, float))[:200]}"))
            key = PAGE_OF_FAMILY.get(card["family"], "")
            if card["family"] == "ebm" and card["dataset"].get("kind") == "image":
                key = "autoregressive"  # an image energy model is shown in the Likelihood Lab, points in the Playground
            page = FAMILY_PAGES.get(key)
            if page:
                st.page_link(page, label=f"Open it in its page (pick {path.name} in the model list)")


def panel(kind: str | None = None) -> None:
    """The newest jobs (of `kind`, or all), redrawn every 2 s while the page is open."""
    @st.fragment(run_every=2.0)
    def draw():
        queue = job_queue()
        shown = [j for j in reversed(queue.jobs()) if kind is None or j.kind == kind][:SHOWN]
        if not shown:
            st.caption("No jobs yet on this server.")
        for job in shown:
            show_job(queue, job)
    draw()
