"""A class through the pages (AppTest; several sessions of one process share the store, as replicas do): the
teacher's key, following the teacher, a job's owner and each visitor's share, as each session sees them.
The three-browsers-on-two-replicas journey is tests/browser/test_replicas.py."""
import pytest

from gen_core import jobs
from gen_core.classroom import Classroom, visitor_owner
from tests.apptest import open_app, open_page
from ui.text import plain

KEY = "the-teachers-key"


@pytest.fixture
def classroom_home(home, monkeypatch):
    monkeypatch.setenv("GENLAB_TEACHER_KEY", KEY)
    monkeypatch.setenv("GENLAB_WORKER", "external")  # jobs stay queued: these tests are about who may do what
    return home


def unlock(at, key=KEY):
    at.text_input(key="class_key_typed").set_value(key)
    at.button(key="class_unlock").click().run()
    return at


def watching(at) -> dict | None:
    """What the follower's watch in the browser was given (its bidi component's data), or None without one."""
    import json
    watch = [e for e in at.get("bidi_component") if e.proto.id.endswith("class_watch")]
    return json.loads(watch[0].proto.json) if watch else None


def test_a_wrong_key_is_one_line_and_the_right_one_opens_teacher_mode(classroom_home):
    at = unlock(open_app(), "guess")
    assert [e.value for e in at.error] == ["That is not the teacher key."]
    assert "class_teacher" not in at.session_state and not [t for t in at.toggle if t.key == "class_leading"]
    unlock(at)
    assert at.session_state["class_teacher"] and at.toggle(key="class_leading").value is False
    assert not at.error


def test_followers_land_where_the_teacher_leads_and_late_joiners_too(classroom_home):
    teacher = unlock(open_app())
    teacher.toggle(key="class_leading").set_value(True).run()
    teacher.switch_page("app_pages/gan_studio/page.py").run()
    lead = Classroom().lead()
    assert lead.page == "gan_studio" and lead.lesson is None
    student = open_app()
    student.checkbox(key="follow").check().run()
    student.run()  # the watch saw a new place and reran the app, which moved there
    assert student.title[0].value == "GAN Studio"
    # the page's watch (ui/follow_watch.js) now waits for a lead other than the one shown
    assert watching(student) == {"seen": lead.seq, "url": "genlab/class/lead"}
    teacher.switch_page("app_pages/home.py").run()
    teacher.button(key="lesson_start_vae").click().run()
    assert (Classroom().lead().lesson, Classroom().lead().step) == ("vae", 0)
    student.run()
    assert student.session_state["lesson"] == "vae" and student.session_state["lesson_step"] == 0
    assert "step 1 of" in " ".join(m.value for m in student.markdown)
    late = open_app()
    late.checkbox(key="follow").check().run()
    late.run()
    assert late.session_state["lesson"] == "vae"
    teacher.button(key="class_end").click().run()
    assert Classroom().lead() is None
    late.run()
    assert watching(late)["seen"] is None and "No class is being led right now." in [c.value for c in late.caption]
    late.checkbox(key="follow").uncheck().run()
    assert watching(late) is None  # unticked: the browser stops asking


def test_a_visitor_cancels_their_own_job_only_and_the_teacher_any(classroom_home):
    queue = jobs.JobQueue()
    theirs = queue.submit("someone else's training", "train", {}, owner="v-someoneelse")
    visitor = open_page("app_pages/train.py")
    mine = queue.submit("my training", "train", {}, owner=visitor_owner(visitor.session_state["visitor_token"]))
    visitor.run()
    buttons = {b.key for b in visitor.button}
    assert f"cancel_job_{mine.id}" in buttons and f"cancel_job_{theirs.id}" not in buttons
    assert "another visitor's" in " ".join(m.value for m in visitor.markdown)
    visitor.button(key=f"cancel_job_{mine.id}").click().run()
    assert queue.get(mine.id).status == jobs.CANCELLED
    teacher = unlock(open_page("app_pages/train.py"))
    teacher.button(key=f"cancel_job_{theirs.id}").click().run()
    assert queue.get(theirs.id).status == jobs.CANCELLED


def test_a_visitors_third_waiting_job_is_refused_in_one_line(classroom_home):
    at = open_page("app_pages/train.py")
    me = visitor_owner(at.session_state["visitor_token"])
    queue = jobs.JobQueue()
    for n in range(2):
        queue.submit(f"waiting {n}", "train", {}, owner=me)
    before = len(queue.jobs())
    at.number_input(key="train_epochs_vae").set_value(1).run()
    at.button(key="train_go").click().run()
    assert [e.value for e in at.error] == [
        plain("you have 2 jobs waiting already (the most per visitor): wait for one to start, or cancel one")]
    assert len(queue.jobs()) == before


def test_a_step_the_teacher_leads_to_again_starts_a_fresh_tally(classroom_home):
    room = Classroom()
    room.publish("diffusion_theater", "diffusion", 1, False)
    room.guess("diffusion", 1, "v-a", "linear")
    room.guess("diffusion", 1, "v-b", "cosine")
    room.guess("diffusion", 1, "v-a", "cosine")  # a changed mind counts once
    assert room.tally("diffusion", 1) == {"cosine": 2}
    room.publish("diffusion_theater", "diffusion", 1, True)
    assert not room.guess("diffusion", 1, "v-c", "linear")  # revealed: locked
    room.publish("diffusion_theater", "diffusion", 2, False)
    room.publish("diffusion_theater", "diffusion", 1, False)  # back to it: a new round of guesses
    assert room.tally("diffusion", 1) == {}


def test_teacher_mode_survives_a_reload_of_the_same_browser_until_it_leaves(classroom_home, monkeypatch):
    """Teacher mode belongs to the browser that typed the key (its private cookie, as a job does): a reload or a new
    tab opens in teacher mode without the key; another browser does not; Leave ends it for that browser."""
    from ui import classroom

    browser = {"token": "teachers-laptop"}
    monkeypatch.setattr(classroom, "has_cookie", lambda: True)
    monkeypatch.setattr(classroom, "visitor_token", lambda: browser["token"])
    unlock(open_app())
    reloaded = open_app()  # a new session of the same browser
    assert reloaded.session_state["class_teacher"] and reloaded.toggle(key="class_leading").value is False
    browser["token"] = "a-students-laptop"
    student = open_app()
    assert not student.session_state["class_teacher"] and not [t for t in student.toggle if t.key == "class_leading"]
    browser["token"] = "teachers-laptop"
    reloaded.button(key="class_leave").click().run()
    assert not open_app().session_state["class_teacher"]  # left: the next reload asks for the key again
