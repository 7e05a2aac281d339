"""Guided lessons (ui/lessons.py) and 'What to notice' (ui/notice.py) through AppTest: every lesson walked from Home
to its last step, each step on its page with its state in effect, each prediction answered and revealed beside a
measured value."""
import pytest

from tests.apptest import open_app
from ui import lessons
from ui.notice import NOTICE
from ui.registry import PAGES

PAGE_TITLES = {p.path: p.title for p in PAGES} | {"app_pages/gen_vs_disc/page.py": "Generative vs discriminative classifiers"}


def run(target):
    at = target.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def panel_text(at) -> str:
    return " ".join(m.value for m in at.markdown)


def verdicts(at) -> list[tuple[str, str]]:
    """The revealed answers on screen: (text, "success" for a right guess, "warning" for a wrong one)."""
    return ([(s.value, "success") for s in at.success if "Measured" in s.value]
            + [(w.value, "warning") for w in at.warning if "Measured" in w.value])


# The diffusion and likelihood walks take ~20 s each (their reveals sample and score): with --slow, beside the same
# lessons walked in Chromium; the other three run by default.
@pytest.mark.parametrize("key", [pytest.param(k, marks=pytest.mark.slow) if k in ("diffusion", "likelihood") else k
                                 for k in lessons.BY_KEY])
def test_every_lesson_runs_end_to_end(key):
    lesson = lessons.BY_KEY[key]
    at = open_app()
    run(at.button(key=f"lesson_start_{key}").click())
    for index, step in enumerate(lesson.steps):
        assert f"step {index + 1} of {len(lesson.steps)}: **{step.title}**" in panel_text(at)
        assert at.title[0].value == PAGE_TITLES[step.page], (step.title, at.title[0].value)
        assert dict(at.query_params)["lesson"] == key and dict(at.query_params)["step"] == str(index + 1)
        assert not [w.value for w in at.warning if "from the link" in w.value], step.title  # no link was used
        expected = dict(step.state)
        if step.predict is not None:
            assert not verdicts(at)  # nothing revealed before the guess
            at.radio(key=f"lesson_guess_{key}_{index}").set_value(step.predict.choices[0])
            run(at)
            run(at.button(key=f"lesson_reveal_{key}_{index}").click())
            [(text, kind)] = verdicts(at)
            assert step.predict.choices[0] in text
            assert kind == ("success" if ", right." in text else "warning")  # a wrong guess is never a success
            assert at.radio(key=f"lesson_guess_{key}_{index}").disabled  # locked once revealed
            expected.update(step.predict.reveal)
        for widget, value in expected.items():
            if value is not None:
                assert at.session_state[widget] == value, (step.title, widget)
        if index + 1 < len(lesson.steps):
            run(at.button(key="lesson_next").click())
    assert not [b for b in at.button if b.key == "lesson_next"]  # the last step has no Next
    run(at.button(key="lesson_back").click())
    assert f"step {len(lesson.steps) - 1} of" in panel_text(at)
    run(at.button(key="lesson_end").click())
    assert "Lesson:" not in panel_text(at) and "lesson" not in dict(at.query_params)


def test_each_syllabus_section_has_a_lesson_of_five_to_ten_steps_with_predictions():
    assert set(lessons.BY_KEY) >= {"gan", "vae", "diffusion", "gvd"}
    for lesson in lessons.LESSONS:
        assert 5 <= len(lesson.steps) <= 10, lesson.key
        assert sum(step.predict is not None for step in lesson.steps) >= 1, lesson.key
        for step in lesson.steps:
            if step.predict:
                assert len(set(step.predict.choices)) == len(step.predict.choices) >= 2


def test_a_link_to_a_lesson_step_opens_it_and_a_bad_one_says_so():
    from streamlit.testing.v1 import AppTest

    from tests.apptest import APP, TIMEOUT
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lesson"], at.query_params["step"] = "vae", "5"
    run(at)
    assert "step 5 of 8: **What collapse looks like**" in panel_text(at)
    assert at.title[0].value == "VAE Latent Explorer" and at.session_state["vae_model"] == "vae-digits-beta8"
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params["lesson"], at.query_params["step"] = "**bold**", "99"
    run(at)
    assert any("Ignored lesson=" in w.value and "**bold**" not in w.value for w in at.warning)


GAN_TABS = ["Samples", "Interpolation", "Training history", "Mode collapse", "CycleGAN"]
VAE_TABS = ["Map", "Walk", "Traverse", "Posterior collapse", "Impute & anomalies"]


def test_every_tab_has_a_what_to_notice_of_two_to_four_sentences():
    from pathlib import Path
    diffusion = (Path(__file__).resolve().parents[2] / "app_pages" / "diffusion_theater" / "page.py").read_text()
    gvd_tabs = ["Decision boundaries", "Learning curves", "Missing data", "Irrelevant features", "Generation",
                "Outliers"]
    wanted = [("gan", t) for t in GAN_TABS] + [("vae", t) for t in VAE_TABS] + [("gvd", t) for t in gvd_tabs] + \
        [("diffusion", t) for t in ("Forward", "Reverse", "Samplers", "Guidance", "Inpainting", "2-D",
                                    "Latent diffusion")] + [("playground", "page")]
    for page, tab in wanted:
        assert (page, tab) in NOTICE, (page, tab)
        sentences = [s for s in NOTICE[(page, tab)].replace("e.g.", "eg").split(". ") if s.strip()]
        assert 2 <= len(sentences) <= 4, (page, tab, len(sentences))
    assert all(f'"{t}"' in diffusion for t in ("Forward", "Latent diffusion"))


def test_what_to_notice_is_folded_on_each_tab():
    at = open_app()
    at.switch_page("app_pages/diffusion_theater/page.py").run()
    expanders = [e for e in at.expander if e.label == "What to notice"]
    assert len(expanders) == 1 and not expanders[0].proto.expanded
    assert "cosine schedule keeps far more signal" in " ".join(m.value for m in expanders[0].markdown)


def test_every_prediction_has_a_shipped_answer_that_a_fresh_measurement_confirms():
    """A reveal reads assets/lessons/answers.json (bench/lesson_answers.py --ship) instead of measuring in front of a
    class: every prediction has one, it picks one of the step's choices, and the quick ones measure the same now."""
    from gen_core.core import InferenceCore
    shipped = lessons.shipped_answers()
    core = InferenceCore("cpu")
    for lesson in lessons.LESSONS:
        for index, step in enumerate(lesson.steps):
            if step.predict is None:
                continue
            answer = shipped[f"{lesson.key}/{index}"]
            assert step.predict.answer(answer) in step.predict.choices, (lesson.key, index)
            if (lesson.key, index) in {("gan", 4), ("gan", 6), ("vae", 3), ("diffusion", 1), ("diffusion", 4)}:
                fresh = step.predict.measure(core)
                assert (fresh["value"], fresh["text"]) == (answer["value"], answer["text"]), (lesson.key, index)


def opened_by_link(**params):
    """The app's first run with these URL parameters, as a link opens it."""
    from streamlit.testing.v1 import AppTest

    from tests.apptest import APP, TIMEOUT
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.query_params.update(params)
    return run(at)


def test_a_step_opened_by_link_has_the_state_of_the_steps_before_it():
    """A link (or a student following the teacher) to diffusion step 5 lands on the model step 1 chose, as one who
    walked there with Next does; before, it opened the page's default model (the Fashion-MNIST DDPM)."""
    at = opened_by_link(lesson="diffusion", step="5")
    assert at.session_state[lessons.DIFFUSION.MODEL] == "ddpm-digits"
    assert lessons.state_at("diffusion", 4)[lessons.DIFFUSION.TAB] == "Reverse"  # the step's own state wins


def test_a_reveal_reads_what_the_start_up_kept_and_measures_nothing(genlab_home):
    """ui.warmup.warm_reveals (app.py runs it at server start) keeps the slow views reveals open (DDPM's 1000 steps,
    learning curves, the missing-data sweep, the guidance grid) on disk; each reveal then computes none of them,
    even with Streamlit's caches empty, as in a fresh server process."""
    import streamlit as st

    from gen_core import kept
    from ui.warmup import warm_reveals

    report = warm_reveals()
    with_views = {f"{lesson.key}/{i + 1}" for lesson in lessons.LESSONS for i, s in enumerate(lesson.steps)
                  if s.predict is not None and s.predict.view is not None}
    assert set(report) == with_views and all(isinstance(v, float) for v in report.values()), report
    assert len(list(kept.folder().glob("*.npz"))) >= len(with_views)
    for name in sorted(with_views):
        key, number = name.split("/")
        index = int(number) - 1
        st.cache_data.clear()
        at = opened_by_link(lesson=key, step=number)
        at.radio(key=f"lesson_guess_{key}_{index}").set_value(lessons.BY_KEY[key].steps[index].predict.choices[0])
        run(at)
        before = len(kept.measured)
        run(at.button(key=f"lesson_reveal_{key}_{index}").click())
        assert kept.measured[before:] == [], (name, kept.measured[before:])
        assert verdicts(at), name
