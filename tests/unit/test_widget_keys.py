"""The widget keys lessons set (ui/widget_keys.py) are the keys the pages draw their widgets with: each name is
used as `key=` by a widget of its page, so renaming a widget without its name, or a name without its widget, fails
here instead of breaking a lesson silently."""
import ast
import inspect
from pathlib import Path

import pytest

from ui import lessons, widget_keys

ROOT = Path(__file__).resolve().parents[2]
PAGES = {cls: ROOT / cls.__doc__.split("(")[1].split(")")[0] for cls in
         (widget_keys.GAN, widget_keys.VAE, widget_keys.DIFFUSION, widget_keys.LIKELIHOOD, widget_keys.GVD,
          widget_keys.PLAYGROUND)}


def names(cls) -> dict[str, str]:
    return {k: v for k, v in vars(cls).items() if k.isupper()}


def keyed_widgets(page: Path) -> set[tuple[str, str]]:
    """(class, name) of every `key=CLASS.NAME` in the page's files, and of the key (the second argument) of every
    model picker (ui.loaders.pick_checkpoint, choose_checkpoint)."""
    files = [page] if page.suffix == ".py" else sorted(page.glob("*.py"))
    found = set()
    for file in files:
        for node in ast.walk(ast.parse(file.read_text(), str(file))):
            if not isinstance(node, ast.Call):
                continue
            keys = [k.value for k in node.keywords if k.arg == "key"]
            if getattr(node.func, "id", "").endswith("_checkpoint") and len(node.args) > 1:
                keys.append(node.args[1])
            found |= {(v.value.id, v.attr) for v in keys
                      if isinstance(v, ast.Attribute) and isinstance(v.value, ast.Name)}
    return found


@pytest.mark.parametrize("cls", list(PAGES), ids=lambda c: c.__name__)
def test_every_name_is_a_widget_of_its_page(cls):
    drawn = keyed_widgets(PAGES[cls])
    assert {(cls.__name__, name) for name in names(cls)} <= drawn


def test_names_are_unique_and_carry_their_page_prefix():
    values = [v for cls in PAGES for v in names(cls).values()]
    assert len(values) == len(set(values))


def test_lessons_set_widgets_only_through_the_names():
    """No lesson step names a widget key as a bare string (ui/lessons.py)."""
    source = inspect.getsource(lessons)
    every = {v for cls in PAGES for v in names(cls).values()}
    assert not [v for v in every if f'"{v}"' in source]
    for lesson in lessons.LESSONS:
        for step in lesson.steps:
            assert set(step.state) <= every, (lesson.key, step.title)
