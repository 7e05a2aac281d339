"""Who is asking (a visitor's browser, or the teacher), and the sidebar's class controls.

A visitor is the browser: app.py gives every browser a private random cookie (COOKIE) on its first request, so a
reload or a new tab is the same visitor, and their jobs stay theirs (gen_core.jobs). AppTest and a browser without
the cookie get one id per session. The teacher is a browser that typed the teacher's key (gen_core.classroom:
kept in the store by visitor, so a reload, a new tab or another replica stays in teacher mode until it leaves or
12 hours pass; a cookie-less session alone); in teacher mode it may cancel any job, sets the time limit per job, and leads the class: students who tick "Follow
the teacher" have their page follow the teacher's page and lesson step (ui.lessons.sync_with_class).
"""
from __future__ import annotations

import secrets
from pathlib import Path

import streamlit as st

from gen_core import jobs
from gen_core.classroom import Classroom, key_matches, visitor_owner
from gen_core.errors import GenLabError
from ui.text import plain

COOKIE = "genlab_visitor"
TEACHER_STATE, LEADING_STATE, FOLLOW_KEY = "class_teacher", "class_leading_on", "follow"
LEAD_ROUTE = "genlab/class/lead"  # app.py's long poll on the teacher's lead (relative: every page is one level deep)
SEEN_STATE = "class_seen_seq"     # the lead this follower's page shows (set by ui.lessons.sync_with_class)
# The follower's watch: a page script, not a script run (ui/follow_watch.js), so waiting costs the server nothing
_WATCH = st.components.v2.component("genlab.follow_watch", js=Path(__file__).with_name("follow_watch.js").read_text())


def visitor_token() -> str:
    token = st.context.cookies.get(COOKIE) if st.context.cookies else None
    if not token:  # no cookie (AppTest, a browser refusing cookies): this session is the visitor
        token = st.session_state.setdefault("visitor_token", secrets.token_urlsafe(24))
    return token


def visitor() -> str:
    """The visitor's id as jobs and guesses record it (a digest of the cookie, never the cookie)."""
    return visitor_owner(visitor_token())


def is_teacher() -> bool:
    """This session typed the key, or this browser did earlier (a reload, another tab: Classroom.is_teacher).
    Looked up in the store once per session, then kept in Session State."""
    if TEACHER_STATE not in st.session_state and has_cookie():
        st.session_state[TEACHER_STATE] = Classroom().is_teacher(visitor())
    return bool(st.session_state.get(TEACHER_STATE))


def has_cookie() -> bool:
    """Whether the visitor is a browser with GenLab's cookie (not a session standing in for one)."""
    return bool(st.context.cookies and st.context.cookies.get(COOKIE))


def job_owner() -> str:
    """Who a job queued now belongs to, and who asks to cancel one: the teacher, or this visitor."""
    return jobs.TEACHER if is_teacher() else visitor()


def leading() -> bool:
    return is_teacher() and bool(st.session_state.get(LEADING_STATE))


def following() -> bool:
    return not is_teacher() and bool(st.session_state.get(FOLLOW_KEY))


def _unlock() -> None:
    typed = st.session_state.get("class_key_typed", "")
    st.session_state["class_key_typed"] = ""
    if key_matches(typed):
        st.session_state[TEACHER_STATE] = True
        st.session_state.pop("class_key_problem", None)
        Classroom().make_teacher(visitor())  # this browser stays the teacher across reloads
    else:
        st.session_state["class_key_problem"] = True


def _leave_teacher_mode() -> None:
    st.session_state[TEACHER_STATE] = False
    st.session_state[LEADING_STATE] = False
    Classroom().drop_teacher(visitor())


def _lead_toggled() -> None:
    # kept apart from the toggle's own key: a page switch in the middle of a run (a lesson step on another page)
    # can drop a sidebar widget's state, and leading must not stop by itself
    st.session_state[LEADING_STATE] = bool(st.session_state["class_leading"])


def _set_minutes() -> None:
    try:
        jobs.JobQueue().set_job_minutes(float(st.session_state["class_job_minutes"]))
    except GenLabError as error:
        st.session_state["class_minutes_problem"] = str(error)


def _end_class() -> None:
    st.session_state[LEADING_STATE] = False
    Classroom().end()


def sidebar() -> None:
    """The class controls: "Follow the teacher" for students; teacher mode behind the key."""
    visitor_token()  # made on the first run, so a cookie-less session is one visitor from its start
    with st.sidebar:
        st.subheader("Class")
        if not is_teacher():
            st.checkbox("Follow the teacher", key=FOLLOW_KEY, bind="query-params",
                        help="Your page goes where the teacher's goes: the same page and lesson step, within 2 s.")
            if following():
                watch_lead()
            with st.expander("Teacher mode"):
                st.text_input("Teacher key", type="password", key="class_key_typed",
                              help="Printed by the server when it starts, or set in GENLAB_TEACHER_KEY.")
                st.button("Unlock", key="class_unlock", on_click=_unlock)
                if st.session_state.get("class_key_problem"):
                    st.error("That is not the teacher key.")
            return
        st.success("Teacher mode", icon=":material/school:")
        st.session_state["class_leading"] = leading()
        st.toggle("Lead the class", key="class_leading", on_change=_lead_toggled,
                  help="Students who tick 'Follow the teacher' see your page and lesson step; in a lesson's "
                       "prediction you see the class's guesses and reveal the answer to everyone.")
        st.number_input("Minutes per training job", min_value=1, max_value=24 * 60, step=5,
                        value=int(jobs.JobQueue().job_minutes()), key="class_job_minutes", on_change=_set_minutes,
                        help=f"Every visitor's job stops at this limit; each visitor has at most {jobs.MAX_RUNNING} "
                             f"running and {jobs.MAX_QUEUED} waiting jobs. You have no limit on jobs.")
        if "class_minutes_problem" in st.session_state:
            st.error(plain(st.session_state.pop("class_minutes_problem")))
        c = st.columns(2)
        c[0].button("End class", key="class_end", on_click=_end_class, disabled=not leading())
        c[1].button("Leave", key="class_leave", on_click=_leave_teacher_mode, help="Leave teacher mode")


def watch_lead() -> None:
    """A follower's watch: the page waits on the teacher's lead in the browser (ui/follow_watch.js) and, when it
    changes, reruns the app, whose sync_with_class moves there; here, where the class is."""
    _WATCH(data={"seen": st.session_state.get(SEEN_STATE), "url": LEAD_ROUTE}, key="class_watch",
           on_moved_change=lambda: None)  # a trigger: its rerun is the move
    lead = Classroom().lead()
    if lead is None:
        st.caption("No class is being led right now.")
    else:
        st.caption(f"Following the teacher (step {lead.step + 1})" if lead.step is not None else
                   "Following the teacher")
