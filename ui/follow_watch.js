// A follower's watch on the teacher (ui/classroom.py): the page long-polls app.py's GET /genlab/class/lead
// (answered the moment the teacher's lead changes, else after 20 s) and, when the lead is not the one this page
// shows (data.seen), sends the trigger "moved": Streamlit reruns the app, which goes where the teacher is
// (ui.lessons.sync_with_class). Waiting costs the server no script run: thirty followers are thirty idle requests.
//
// Streamlit calls this function on every render of the element; the poll starts once per element and reads the
// latest data.seen, and the cleanup (on unmount: "Follow the teacher" unticked) stops it.
export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  const box = parentElement;
  box.__seen = data.seen;
  if (!box.__watch) {
    const abort = new AbortController();
    box.__watch = abort;
    const pause = ms => new Promise(done => setTimeout(done, ms));
    (async () => {
      let known = data.seen;  // what the server last said (the long poll's "after")
      while (!abort.signal.aborted) {
        try {
          const answer = await fetch(`${data.url}?after=${known === null ? "" : known}`,
                                     {signal: abort.signal, cache: "no-store"});
          if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
          known = (await answer.json()).seq;
          if (known !== box.__seen) setTriggerValue("moved", known);
        } catch (error) {
          if (abort.signal.aborted) return;
          await pause(1000);  // a replica restarting, the store down: ask again shortly
        }
      }
    })();
  }
  return () => {
    if (box.__watch) box.__watch.abort();
    box.__watch = null;
  };
}
