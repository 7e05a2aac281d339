"""Evaluate: compare checkpoints on the same real test data with real metrics (gen_core.evaluate), run on the
server's job queue so a slow model never blocks the page."""
import pandas as pd
import streamlit as st

from gen_core import evaluate as E
from gen_core import jobs as J
from gen_core.errors import GenLabError
from ui.exports import table_download
from ui.jobs_panel import job_queue, panel, submit
from ui.loaders import checkpoint_listing
from ui.settings import current_device
from ui.text import plain

st.title("Evaluate models")
st.markdown("Judge models by numbers instead of by eye, all on the same real test images. **FD** (Fréchet "
            "distance, lower is better) compares feature statistics of samples and real images; the **floor** is the "
            "FD between two sets of real images of the same size, which no model beats by much. **Precision** is the "
            "share of samples that look real (fidelity), **recall** the share of real images the samples cover "
            "(variety); **density** and **coverage** (Naeem et al., 2020) ask the same with only the real images' "
            "neighbourhoods, so a few outliers cannot inflate them (k-NN recall gives pure noise 1.0; its coverage is "
            "near 0). **Memorised**: samples closer to a training image than the closest 1% of held-out images "
            "are. **acc gen / acc real**: a classifier trained on generated data, tested on real data, against the "
            "same classifier trained on real data (the syllabus's first promise: generated data as training data).")


@st.fragment(run_every=2.0)
def results():
    """The newest finished evaluation (this visitor's, else anyone's on this server), redrawn as jobs finish."""
    try:
        job = job_queue().get(st.session_state.get("eval_job", -1))
        finished = [j for j in reversed(job_queue().jobs()) if j.kind == "evaluate" and j.status == J.DONE]
    except GenLabError as error:  # the shared store is down: the jobs panel below says so too
        st.error(plain(error), icon=":material/cloud_off:")
        return
    shown = job if job is not None and job.status == J.DONE else (finished[0] if finished else None)
    if shown is not None:
        rows = shown.result
        table = pd.DataFrame([{label: row.get(key) for key, label, _ in E.COLUMNS} for row in rows])
        st.subheader(f"Results of job #{shown.id}")
        st.dataframe(table, hide_index=True, column_config={
            "memorised": st.column_config.NumberColumn(format="percent"),
            "FD": st.column_config.NumberColumn(format="%.2f"), "floor": st.column_config.NumberColumn(format="%.2f"),
            "precision": st.column_config.NumberColumn(format="%.2f"),
            "recall": st.column_config.NumberColumn(format="%.2f"),
            "density": st.column_config.NumberColumn(format="%.2f"),
            "coverage": st.column_config.NumberColumn(format="%.2f"),
            "acc gen": st.column_config.NumberColumn(format="%.3f"),
            "acc real": st.column_config.NumberColumn(format="%.3f")})
        table_download(table, f"genlab-evaluate-job{shown.id}", key=f"eval_{shown.id}")
        for row in rows:
            if row.get("error"):
                st.warning(plain(f"{row['checkpoint']}: {row['error']}"))
        for row in rows:
            if row.get("class_report"):
                class_report(row["class_report"])
        st.caption(plain("Features: " + ", ".join(sorted({r.get('features', '') for r in rows if r.get('features')})) +
                         ". Diffusion models sample with DDIM in 50 steps. -ELBO is a VAE's bound on the negative "
                         "log-likelihood (nats per image; bits/dim divides by the pixels and ln 2). The same "
                         "table from the command line: python -m gen_core.evaluate NAME ..."))


def class_report(report: dict) -> None:
    """How the reference network reads the model's samples, class by class, against the bar for each class."""
    names = report["class_names"]
    if report["conditional"]:
        frame = pd.DataFrame({"class": names, "read as asked": report["share_read_as_asked"],
                              "reference recall on real images": report["reference_recall"],
                              "within 5 points": report["within_tolerance"]})
        what = "share of samples the reference network reads as the class asked for"
    else:
        frame = pd.DataFrame({"class": names, "share of samples": report["class_shares"],
                              "within 5-15%": report["within_band"]})
        what = "share of samples the reference network reads as each class"
    st.markdown(plain(f"{report['checkpoint']}: {what} ({report['samples']} samples; reference test accuracy "
                      f"{report['reference_accuracy']:.3f})"))
    st.dataframe(frame, hide_index=True)


names = [c["name"] for c in checkpoint_listing() if E.is_evaluable(c["card"])]
left, right = st.columns([3, 2], gap="large")
with left:
    picked = st.multiselect("Checkpoints", names, default=[n for n in ("gan-digits", "gan-digits-collapsed",
                                                                       "vae-digits", "ddpm-digits") if n in names],
                            key="eval_models")
    c = st.columns(2)
    samples = c[0].select_slider("Samples per model", [200, 500, 1000, 2000, 5000], 500, key="eval_samples")
    train_samples = c[1].select_slider("Generated samples to train a classifier on", [0, 1000, 2000, 5000, 10000],
                                       2000, key="eval_train_samples")
    if st.button("Evaluate", type="primary", disabled=not picked, key="eval_go"):
        spec = dict(names=list(picked), samples=int(samples), train_samples=int(train_samples),
                    device=str(current_device()))  # run by gen_core.job_worker.run_evaluation
        job = submit(f"evaluate {', '.join(picked)[:80]} ({samples} samples)", "evaluate", spec)
        if job is not None:
            st.session_state["eval_job"] = job.id


with right:
    st.subheader("Jobs")
    panel("evaluate")
results()  # full width: the table has twelve columns
