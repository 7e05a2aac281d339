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
