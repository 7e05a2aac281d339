"""README's "The syllabus, line by line": every row names a page and tab that exists and opens without an error, or
says why the line is not shown; the table covers every section of the syllabus."""
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.apptest import open_app
from ui.registry import PAGES

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("Generative models: advantages", "Generative models: disadvantages", "Generative vs discriminative",
            "Types of generative models", "Real-world use cases", "GAN: advantages", "GAN: disadvantages", "GAN: types",
            "Diffusion: applications", "Diffusion: advantages", "Diffusion: disadvantages", "Diffusion: types",
            "VAE: advantages", "VAE: disadvantages")


def table_rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    block = text.split("## The syllabus, line by line", 1)[1].split("\n## ", 1)[0]
    return [[cell.strip() for cell in line.strip().strip("|").split("|")] for line in block.splitlines()
            if line.startswith("| ") and not line.startswith("| syllabus line")]


def links() -> list[str]:
    return sorted({m for row in table_rows() for m in re.findall(r"\]\((/[^)]*)\)", row[1])})


def test_the_table_covers_every_section_and_every_row_is_shown_or_explained():
    rows = table_rows()
    headings = [row[0].strip("*") for row in rows if row[0].startswith("**")]
    assert all(section in headings for section in SECTIONS)
    lines = [row for row in rows if not row[0].startswith("**")]
    assert len(lines) >= 70
    for line, where, what in lines:
        assert where.startswith("[/") or (where == "(none)" and what.startswith("not shown")), line


def test_every_link_names_a_page_and_a_tab_that_exist():
    pages = {p.url_path: p.path for p in PAGES}
    for link in links():
        parts = urlsplit(link)
        page = parts.path.strip("/")
        assert page in pages, link
        for key, tab in parse_qsl(parts.query):
            folder = (ROOT / pages[page]).parent
            sources = " ".join(p.read_text() for p in folder.glob("*.py"))
            assert f'"{tab}"' in sources, f"{link}: no tab {tab!r} in {folder}"


def link_params():
    """Every link; the first of each page runs by default, the rest with --slow (about 3 minutes in all)."""
    seen, params = set(), []
    for link in links():
        page = urlsplit(link).path
        params.append(link if page not in seen else pytest.param(link, marks=pytest.mark.slow))
        seen.add(page)
    return params


@pytest.mark.parametrize("link", link_params())
def test_every_link_of_the_table_opens(link):
    parts = urlsplit(link)
    page = next(p.path for p in PAGES if p.url_path == parts.path.strip("/"))
    at = open_app()
    for key, value in parse_qsl(parts.query):
        at.query_params[key] = value
    at.switch_page(page).run()
    assert not at.exception, (link, [e.value for e in at.exception])
    assert not at.warning or not any("Ignored" in w.value for w in at.warning), link  # the tab was taken
