"""How long each lesson's prediction reveal takes, the first time in a process (the issue's bound: 1 s).

For every predict-then-reveal step: a fresh AppTest of frame.py (its own process state: Streamlit's caches are
cleared before each step), the lesson opened at that step by its link, a guess chosen, then the Reveal press timed:
the rerun that draws the answer and the page state the reveal sets (a tab, a data set). Beside it, the same app's
plain rerun of the step before the press, the baseline of this machine's speed.

    python bench/reveal_times.py [--only gvd,diffusion]

Slow work a reveal shows is kept on disk ($GENLAB_HOME/cache) and warmed at server start (ui.warmup): run it
twice to see a first process and a later one; `--fresh-home` starts from an empty $GENLAB_HOME.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated lesson keys (default: every lesson)")
    parser.add_argument("--fresh-home", action="store_true", help="an empty $GENLAB_HOME (nothing kept on disk)")
    parser.add_argument("--warm", action="store_true", help="run the server's start-up warm-up first, as app.py does")
    args = parser.parse_args(argv)
    if args.fresh_home:
        os.environ["GENLAB_HOME"] = tempfile.mkdtemp(prefix="genlab-reveals-")
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ui import lessons
    if args.warm:
        from ui.warmup import warm_process, warm_reveals
        warm_process()
        print(f"start-up: {warm_reveals()}", flush=True)
    wanted = [k for k in args.only.split(",") if k] or list(lessons.BY_KEY)
    app = str(Path(__file__).resolve().parent.parent / "frame.py")
    worst = 0.0
    for key in wanted:
        for index, step in enumerate(lessons.BY_KEY[key].steps):
            if step.predict is None:
                continue
            st.cache_data.clear()  # what a fresh process would have: nothing but what is on disk
            at = AppTest.from_file(app, default_timeout=300)
            at.query_params.update(lesson=key, step=str(index + 1))
            at.run()
            at.radio(key=f"lesson_guess_{key}_{index}").set_value(step.predict.choices[0])
            started = time.perf_counter()
            at.run()
            plain = time.perf_counter() - started
            started = time.perf_counter()
            at.button(key=f"lesson_reveal_{key}_{index}").click().run()
            took = time.perf_counter() - started
            problems = [e.value for e in at.exception]
            worst = max(worst, took)
            print(f"{key}/{index + 1} {step.title[:40]:40s} reveal {took:5.2f} s  (a plain rerun before it: "
                  f"{plain:.2f} s){'  EXCEPTION ' + str(problems) if problems else ''}", flush=True)
    print(f"worst reveal {worst:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
