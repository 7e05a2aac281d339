"""How long a student following the teacher waits: one `streamlit run app.py`, a teacher (teacher mode, leading)
and one follower in Chromium; the teacher presses Next through the GAN lesson and this prints, per step, the time
from the click to the follower's page showing that step (the issue's bound: 2 s).

    python bench/follow_latency.py [--steps 6]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.browser.driver import chromium, settle, streamlit_server  # noqa: E402

KEY = "bench-key"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=6, help="Next presses (the GAN lesson has 9 steps)")
    args = parser.parse_args(argv)
    os.environ["GENLAB_TEACHER_KEY"] = KEY  # the server inherits it
    from playwright.sync_api import sync_playwright
    with streamlit_server("app.py") as (base, _), sync_playwright() as p:
        browser = chromium(p)
        teacher = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        student = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        teacher.goto(base)
        teacher.get_by_role("heading", name="GenLab").wait_for(timeout=90_000)
        sidebar = teacher.locator('[data-testid="stSidebar"]')
        sidebar.get_by_text("Teacher mode").click()
        sidebar.locator('input[aria-label="Teacher key"]').fill(KEY)
        sidebar.get_by_role("button", name="Unlock").click()
        sidebar.get_by_text("Lead the class").wait_for(timeout=30_000)
        sidebar.get_by_text("Lead the class").click()
        settle(teacher)
        teacher.locator(".st-key-lesson_start_gan button").click()
        panel = teacher.locator(".st-key-lesson_panel")
        panel.get_by_text("step 1 of").wait_for(timeout=90_000)
        student.goto(base + "/?follow=true")
        student.locator(".st-key-lesson_panel").get_by_text("step 1 of").wait_for(timeout=90_000)
        waits = []
        for step in range(2, 2 + args.steps):
            settle(teacher)
            settle(student)
            clicked = time.monotonic()
            panel.get_by_role("button", name="Next").click()
            student.locator(".st-key-lesson_panel").get_by_text(f"step {step} of").wait_for(timeout=30_000)
            waits.append(time.monotonic() - clicked)
            print(f"step {step}: the follower showed it {waits[-1]:.2f} s after the teacher's click", flush=True)
        browser.close()
    print(f"median {sorted(waits)[len(waits) // 2]:.2f} s, worst {max(waits):.2f} s over {len(waits)} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
