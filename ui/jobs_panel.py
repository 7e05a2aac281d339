"""The deployment's job queue (gen_core.jobs) and the panel that shows it: progress, live loss curves, cancel,
and where a finished model can be opened. Shared by the Train and Evaluate pages and the CycleGAN tab. Jobs live in
the shared store, not in a session or a server: they survive page switches, reloads and restarts, and every
replica shows the same. A visitor sees every active job, cancels only their own (the teacher any), and keeps their
finished ones; older finished jobs fold away under "Older jobs"."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from pathlib import Path

from gen_core import jobs as J
from gen_core.errors import GenLabError
from ui.charts import lines
from ui.classroom import is_teacher, job_owner
from ui.exports import checkpoint_downloads
from ui.loaders import checkpoint_listing
from ui.registry import FAMILY_PAGES
from ui.text import plain

PAGE_OF_FAMILY = {"gan": "gan", "dcgan": "gan", "cgan": "gan", "cyclegan": "gan", "vae": "vae",
                  "biggan": "gan", "sagan": "gan", "stylegan": "gan",
                  "ddpm": "diffusion", "ldm": "diffusion", "flow": "flow", "ebm": "ebm",
                  "pixelcnn": "autoregressive", "rnn": "autoregressive", "hmm": "hmm",
                  "glow": "autoregressive",  # Glow has its tab in the Likelihood Lab, the autoregressive models' page
                  "d3pm": "diffusion", "vdm": "diffusion", "srdiff": "diffusion",
                  "ardm": "autoregressive"}  # autoregressive diffusion: its tab sits beside PixelCNN's
SHOWN = 6  # newest finished jobs in the panel; active ones are always shown


def job_queue() -> J.JobQueue:
    """The deployment's queue (a client over the shared store: cheap to make, the store's connection is cached)."""
    return J.JobQueue()


def submit(title: str, kind: str, spec: dict) -> J.Job | None:
    """Queue a job for this visitor (or the teacher); a refusal (the visitor's share is full) is one line."""
    try:
        job = job_queue().submit(title, kind, spec, owner=job_owner())
    except GenLabError as error:
        st.error(plain(error))
        return None
    st.toast(f"Queued as job #{job.id}")
    return job


def trained(job: J.Job) -> tuple[Path, dict]:
    """A finished training's checkpoint folder and card."""
    return Path(job.result["path"]), job.result["card"]


def whose(job: J.Job) -> str:
    if job.owner == job_owner():
        return "yours"
    if job.owner == J.TEACHER:
        return "the teacher's"
    return f"visitor {job.owner[2:8]}" if is_teacher() else "another visitor's"


@st.cache_resource(show_spinner=False)
def _listed_after() -> set[str]:
    return set()


def refresh_listing_for(job: J.Job) -> None:
    """Once per finished training: re-read the checkpoint list so every page's picker has the new model now,
    not after the listing's 30 s cache runs out."""
    seen, key = _listed_after(), f"{job_queue().store!r}#{job.id}"  # ids count per store (a test's, a class's)
    if job.kind == "train" and job.status == J.DONE and key not in seen:
        seen.add(key)
        checkpoint_listing.clear()


def loss_frame(job: J.Job) -> pd.DataFrame | None:
    keys = [k for k in job.history if k != "step" and (k.startswith("loss") or k in ("nll", "elbo"))]
    if not job.history["step"] or not keys:
        return None
    return pd.DataFrame({k: job.history[k] for k in keys}, index=pd.Index(job.history["step"], name="step"))


def show_job(queue: J.JobQueue, job: J.Job, every: list[J.Job] | None = None) -> None:
    with st.container(border=True, key=f"job_{job.id}"):  # class st-key-job_N: one box per job
        head = st.columns([5, 1])
        head[0].markdown(f"**#{job.id}** {plain(job.title)} · *{job.status}* · {whose(job)}")
        if queue.may_cancel(job, job_owner()) and head[1].button("Cancel", key=f"cancel_job_{job.id}"):
            queue.cancel(job.id, job_owner())
            st.rerun(scope="fragment")
        if job.status == J.QUEUED:
            st.caption(f"Waiting: {queue.position(job, every)} job(s) ahead. One job runs at a time.")
        elif job.status == J.RUNNING:
            st.progress(job.fraction, text=job.message)
        elif job.status == J.FAILED:
            st.error(plain(job.error or "failed"))
        elif job.status in (J.CANCELLED, J.INTERRUPTED):
            st.caption(job.message)
        frame = loss_frame(job)
        if frame is not None and job.kind == "train":
            st.altair_chart(lines(frame, "training step", "loss"))
        if job.status == J.DONE and job.kind == "train":
            refresh_listing_for(job)
            path, card = trained(job)
            took = (job.finished or 0) - (job.started or 0)
            st.success(plain(f"Saved {path.name} in {took:.0f} s: "
                             f"{', '.join(f'{k} {v:.4g}' for k, v in card['metrics'].items() if isinstance(v, float))[:200]}"))
            checkpoint_downloads(path, key=f"job_{job.id}")
            key = PAGE_OF_FAMILY.get(card["family"], "")
            if card["family"] == "ebm" and card["dataset"].get("kind") == "image":
                key = "autoregressive"  # an image energy model is shown in the Likelihood Lab, points in the Playground
            page = FAMILY_PAGES.get(key)
            if page:
                st.page_link(page, label=f"Open it in its page (pick {path.name} in the model list)")


def panel(kind: str | None = None) -> None:
    """Every active job and the newest finished ones (of `kind`, or all), redrawn every 2 s while the page is open;
    the older finished ones fold away, each still listed."""
    @st.fragment(run_every=2.0)
    def draw():
        queue = job_queue()
        try:
            all_jobs = queue.jobs()  # one read of the store per redraw
        except GenLabError as error:  # the shared store is down: one line, the page goes on
            st.error(plain(error), icon=":material/cloud_off:")
            return
        every = [j for j in reversed(all_jobs) if kind is None or j.kind == kind]
        active = [j for j in every if j.active]
        finished = [j for j in every if not j.active]
        if not every:
            st.caption("No jobs yet.")
        if any(j.status == J.QUEUED for j in active):
            J.ensure_worker()  # the worker went away (its server stopped): the next one takes the queue on
        for job in active + finished[:SHOWN]:
            show_job(queue, job, all_jobs)
        if finished[SHOWN:]:
            with st.expander(f"Older jobs ({len(finished) - SHOWN})"):
                st.dataframe(pd.DataFrame([{"job": j.id, "title": j.title, "status": j.status, "whose": whose(j),
                                            "message": j.error or j.message} for j in finished[SHOWN:]]),
                             hide_index=True, width="stretch")
    draw()
