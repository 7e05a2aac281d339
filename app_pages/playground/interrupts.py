"""Whether a click is waiting while a fragment runs a loop (the Playground's Play).

Streamlit 1.67 lets a full-page rerun interrupt a running script, but not a rerun of a fragment caused by a widget
in it: `script_requests._fragment_run_should_not_preempt_script` keeps such a request waiting until the running
fragment returns ("doing so will affect elements outside of the fragment"). A fragment that loops while playing
must therefore look for a waiting request itself and return, so the click's callback (Pause) runs next; otherwise
Pause waited for the loop to end on its own.

Streamlit has no public call for this, so it reads ScriptRequests' state; tests/browser/test_browser.py's Pause journey
fails if a Streamlit upgrade changes it.
"""
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.script_requests import ScriptRequestType


def rerun_waiting() -> bool:
    """True when this session has asked for a rerun (a click, a changed widget) that has not started yet."""
    ctx = get_script_run_ctx(suppress_warning=True)
    requests = getattr(ctx, "script_requests", None)
    return getattr(requests, "_state", None) == ScriptRequestType.RERUN
