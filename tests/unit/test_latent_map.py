"""The clickable map (ui/latent_map.py): what it sends its component (ui/latent_map.js, driven in Chromium by
tests/browser/test_browser.py), and reading a click back."""
import json

import numpy as np
import pytest

from ui import latent_map


@pytest.fixture
def points():
    coords = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 1.0]])
    return coords, np.array([0, 1, 1]), ["zero", "one"]


def test_the_map_gets_its_dots_classes_and_what_a_click_may_pick(points):
    coords, labels, names = points
    data = latent_map.map_data(coords, labels, names, "a map", view_id="m:umap")
    assert data["x"] == [0.0, 1.0, 3.0] and data["y"] == [0.0, 2.0, 1.0] and data["c"] == [0, 1, 1]
    assert data["names"] == ["zero", "one"] and data["tips"] is None  # tooltips "class · test #i", built in JS
    assert data["places"] and data["clickable"] and data["title"] == "a map" and data["view_id"] == "m:umap"
    assert data["path"] is None and data["marks"] == [] and data["picked"] is None
    json.dumps(data, allow_nan=False)  # what Streamlit sends the component: plain JSON
    # coordinates keep 5 significant digits (the payload stays small), a visitor's tooltips are text
    data = latent_map.map_data([[1 / 3, -123456.789]], [0], ["a"], "t", tips=[b"<b>x</b>"], places=False)
    assert data["x"] == [0.33333] and data["y"] == [-123460.0] and data["tips"] == ["b'<b>x</b>'"]
    assert data["places"] is False


def test_a_map_refuses_coordinates_it_cannot_draw(points):
    _, labels, names = points
    for bad in (np.array([[0.0, np.nan], [1, 2], [3, 1]]), np.zeros((3, 3)), np.zeros(3)):
        with pytest.raises(ValueError, match="finite"):
            latent_map.map_data(bad, labels, names, "bad")


def test_a_walk_adds_its_path_and_labelled_ends(points):
    coords, labels, names = points
    path = np.linspace([0, 0], [3, 1], 6)
    data = latent_map.map_data(coords, labels, names, "walk", clickable=False, path=path,
                               marks={"A": (0, 0), "B": (3, 1)})
    assert data["clickable"] is False and len(data["path"]) == 6 and data["path"][-1] == [3.0, 1.0]
    assert data["marks"] == [{"label": "A", "x": 0.0, "y": 0.0}, {"label": "B", "x": 3.0, "y": 1.0}]


def test_reading_a_click():
    assert latent_map.picked(None, 10) is None
    assert latent_map.picked({"index": 7, "x": 1.5, "y": -2}, 10) == {"index": 7, "x": 1.5, "y": -2.0}
    assert latent_map.picked({"index": latent_map.PLACE, "x": 0.25, "y": 4}, 10)["index"] == latent_map.PLACE
    # what a tampered browser could send instead is no pick at all (the page says "Click the map")
    for bad in ({"index": 10, "x": 0, "y": 0}, {"index": -2, "x": 0, "y": 0}, {"index": 1, "x": "nan", "y": 0},
                {"index": 1, "x": 1e300, "y": 0}, {"index": "one", "x": 0, "y": 0}, {"index": 1, "x": 0},
                {"index": [1], "x": 0, "y": 0}, "7", [7, 0, 0]):
        assert latent_map.picked(bad, 10) is None, bad


def test_the_hover_thumbnails_are_pages_of_the_test_set():
    """The map's tooltip cuts each dot's image from sprite sheets of SPRITE_PAGE test images (app.py serves them);
    dot k sits at column k % 100, row (k % SPRITE_PAGE) // 100 of sheet k // SPRITE_PAGE."""
    import io

    import numpy as np
    from PIL import Image

    from gen_core.data import load_dataset
    from gen_core.render import SPRITE_COLUMNS, SPRITE_PAGE
    from ui.latent_map import test_set_thumbs
    from ui.thumbnails import sheet

    fashion = load_dataset("fashion-mnist")
    thumbs = test_set_thumbs(fashion)
    assert thumbs == {"url": "genlab/thumbnails/fashion-mnist/", "side": 28, "columns": SPRITE_COLUMNS,
                      "page": SPRITE_PAGE, "count": 10_000, "scale": 3}
    picture = np.asarray(Image.open(io.BytesIO(sheet("fashion-mnist", 1))))
    assert picture.shape == (SPRITE_PAGE // SPRITE_COLUMNS * 28, SPRITE_COLUMNS * 28)
    k = 1234  # sheet 1, column 34, row 2
    tile = picture[2 * 28:3 * 28, 34 * 28:35 * 28]
    expected = ((fashion.x_test[k, 0] + 1) * 127.5).round().numpy()
    assert np.abs(tile - expected).max() <= 1
    for name, page in (("fashion-mnist", 10), ("folder:/etc", 0), ("nothing", 0), ("digits", -1)):
        with pytest.raises(KeyError):
            sheet(name, page)
    assert test_set_thumbs(load_dataset("ring8")) is None
