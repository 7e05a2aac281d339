"""Measure every lesson prediction's answer on the shipped models (ui.lessons: each Predict's `measure`), print how
long each takes, and with --ship write them where the lesson panel reads them (assets/lessons/answers.json), so a
reveal in front of a class reads a file instead of measuring while everyone waits.

    python bench/lesson_answers.py           # measure and print
    python bench/lesson_answers.py --ship    # also write assets/lessons/answers.json

Run it again after retraining a shipped model a lesson measures (the lesson tests compare the cheap answers with a
fresh measurement).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gen_core.core import InferenceCore  # noqa: E402
from ui import lessons  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ship", action="store_true", help=f"write {lessons.ANSWERS_FILE}")
    parser.add_argument("--only", metavar="LESSON", choices=[lesson.key for lesson in lessons.LESSONS],
                        help="measure this lesson's answers only; --ship then replaces just those in the file")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    core = InferenceCore("cpu")
    answers = {k: v for k, v in lessons.shipped_answers().items() if not k.startswith(f"{args.only}/")} \
        if args.only else {}
    for lesson in lessons.LESSONS:
        if args.only and lesson.key != args.only:
            continue
        for index, step in enumerate(lesson.steps):
            if step.predict is None:
                continue
            started = time.perf_counter()
            found = step.predict.measure(core)
            answers[f"{lesson.key}/{index}"] = {"value": found["value"], "text": found["text"]}
            print(f"{lesson.key} step {index + 1}: {found['text']} -> {step.predict.answer(found)} "
                  f"({time.perf_counter() - started:.1f} s)", flush=True)
    if args.ship:
        lessons.ANSWERS_FILE.write_text(json.dumps(answers, indent=1, default=lessons.json_number) + "\n")
        print(f"wrote {lessons.ANSWERS_FILE}")
        if args.only:
            return 0
        # the HMM learning curve a likelihood step reveals (the Likelihood Lab's HMM tab), measured once
        from gen_core.data import load_dataset
        from gen_core.labs import sequences
        series = load_dataset(core.load("hmm-series").card["dataset"]["name"])
        started = time.perf_counter()
        curve = sequences.learning_curve(series)
        target = sequences.SHIPPED_CURVES / sequences.curve_file(series.name, sequences.LEARNING_CURVE_SIZES, 0)
        target.write_text(json.dumps(curve) + "\n")
        print(f"wrote {target} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
