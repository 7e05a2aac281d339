"""Text from outside GenLab (URL parameters, file names, card contents, error messages that quote them) shown
as plain text inside Streamlit's Markdown elements.

st.warning, st.error, st.caption and st.markdown render Markdown, so a shared link with
`?seed=![t](http://evil/track.png)` would make every visitor's browser fetch that image. Two helpers:

- `plain` for sentences: CommonMark lets a backslash escape any ASCII punctuation character, and escaping all of
  them leaves no link, image, emphasis, code span, heading, LaTeX (`$`), Streamlit directive (`:red[...]`) or
  emoji short code (`:smile:`) for the text to form. GitHub's autolinks (a bare `http://...`, `www....` or
  `name@host`) need no punctuation of their own, so a zero-width space goes after `://`, `www` and `@`: the text
  reads the same, but nothing in it is a link.
- `code` for a value quoted as typed: an inline code span, inside which Markdown does nothing at all.
"""
from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")
_AUTOLINK = re.compile(r"(://|(?i:www)(?=\.)|@)")
ZERO_WIDTH_SPACE = "\u200b"


def plain(text: object) -> str:
    """`text` with every Markdown-active character escaped and autolinks broken, so it renders as written."""
    text = _AUTOLINK.sub(lambda m: m.group(1) + ZERO_WIDTH_SPACE, str(text).replace("\n", " "))
    return _PUNCTUATION.sub(r"\\\1", text)


def code(text: object) -> str:
    """`text` as an inline code span that no backtick inside it can close early (CommonMark: the fence is one
    backtick longer than the longest run of backticks in the text)."""
    text = str(text).replace("\n", " ")
    runs = [len(run) for run in re.findall("`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    return f"{fence} {text} {fence}"


def markdown_table(frame) -> str:
    """A pandas DataFrame (its index as the first column) as a Markdown table of `plain` cells: st.markdown draws it
    with the page's own Markdown renderer, where st.table would load a 0.7 MB script for Arrow tables on the first
    view of a page (the 2-D Playground's)."""
    def row(cells) -> str:  # plain escapes "|" too, as GitHub's tables want; a missing number reads "—"
        shown_cells = ("—" if isinstance(cell, float) and cell != cell else plain(cell) for cell in cells)
        return "| " + " | ".join(shown_cells) + " |"
    header = [frame.index.name or ""] + [str(c) for c in frame.columns]
    lines = [row(header), "|" + "---|" * len(header)]
    lines += [row([index] + list(values)) for index, values in zip(frame.index, frame.itertuples(index=False))]
    return "\n".join(lines)


def shown(markdown: str) -> str:
    """What `plain` text reads as once rendered (for tests and logs): escapes and zero-width spaces removed."""
    return re.sub(r"\\([" + re.escape(string.punctuation) + "])", r"\1", markdown).replace(ZERO_WIDTH_SPACE, "")
