"""Text from outside GenLab (URL parameters, file names, card contents, error messages that quote them) shown
as plain text inside Streamlit's Markdown elements.

st.warning, st.error, st.caption and st.markdown render Markdown, so a shared link with
`?seed=![t](http://evil/track.png)` would make every visitor's browser fetch that image. CommonMark lets a
backslash escape any ASCII punctuation character; escaping all of them leaves no link, image, emphasis, code span,
heading, LaTeX (`$`), Streamlit directive (`:red[...]`) or emoji short code (`:smile:`) for the text to form.
"""
from __future__ import annotations

import re
import string

_PUNCTUATION = re.compile("([" + re.escape(string.punctuation) + "])")


def plain(text: object) -> str:
    """`text` with every Markdown-active character escaped, so it renders exactly as written."""
    return _PUNCTUATION.sub(r"\\\1", str(text)).replace("\n", " ")


def code(text: object) -> str:
    """`text` as an inline code span that no backtick inside it can close early (CommonMark: the fence is one
    backtick longer than the longest run of backticks in the text)."""
    text = str(text).replace("\n", " ")
    runs = [len(run) for run in re.findall("`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    return f"{fence} {text} {fence}"
