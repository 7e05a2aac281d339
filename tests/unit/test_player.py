"""The in-browser player (ui/player.py): one page with every frame inline, nothing fetched, captions as text."""
import json

import pytest
from PIL import Image

from ui.player import SPEEDS, player_html


def frames(n):
    return [Image.new("L", (16, 8), 20 * k) for k in range(n)]


def test_every_frame_and_caption_is_inline_and_nothing_is_fetched():
    page = player_html(frames(5), [f"step {k}" for k in range(5)], fps=10)
    data = json.loads(page.split("const data = ", 1)[1].split(";\n", 1)[0])
    assert len(data["frames"]) == 5 and all(f.startswith("data:image/png;base64,") for f in data["frames"])
    assert len(set(data["frames"])) == 5 and data["captions"][3] == "step 3"
    assert data["start"] == 4 and data["fps"] == 10  # opens on the last frame, at 10 frames a second
    assert "http" not in page and "src=\"/" not in page  # works offline: no script or image from elsewhere
    assert all(f'value="{s}"' in page for s in SPEEDS) and 'value="10" selected' in page


def test_a_caption_cannot_close_the_script():
    page = player_html(frames(1), ["</script><script>alert(1)</script>"])
    assert page.count("</script>") == 1  # the player's own
    assert "textContent = data.captions" in page  # shown as text, never as HTML


def test_bad_calls_are_refused():
    with pytest.raises(ValueError):
        player_html([], [])
    with pytest.raises(ValueError):
        player_html(frames(2), ["only one"])
