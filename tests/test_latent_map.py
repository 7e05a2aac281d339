"""The VAE Explorer's clickable map (ui/latent_map.py): its rows, its Vega-Lite spec, and reading a click back."""
import numpy as np
import pytest

from ui import latent_map


@pytest.fixture
def points():
    coords = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 1.0]])
    return coords, np.array([0, 1, 1]), ["zero", "one"]


def test_rows_are_the_dots_on_top_of_a_grid_of_places(points):
    coords, labels, names = points
    rows = latent_map.map_rows(coords, labels, names, grid_steps=5)
    places, dots = rows[rows["index"] == latent_map.PLACE], rows[rows["index"] >= 0]
    assert len(places) == 25 and len(dots) == 3
    assert rows.index[rows["index"] >= 0].min() > rows.index[rows["index"] < 0].max()  # dots drawn last
    assert list(dots["class"]) == ["zero", "one", "one"]
    assert list(dots["tip"]) == ["zero · test #0", "one · test #1", "one · test #2"]
    # the grid covers the dots with a 5% margin
    assert places["x"].min() == pytest.approx(-0.15) and places["x"].max() == pytest.approx(3.15)
    assert places["y"].min() == pytest.approx(-0.1) and places["y"].max() == pytest.approx(2.1)
    assert len(latent_map.map_rows(coords, labels, names, grid_steps=0)) == 3


def test_the_chart_selects_the_nearest_point_on_click(points):
    spec = latent_map.map_chart(*points, "a map").to_dict()
    pick = [p for p in spec["params"] if p["name"] == latent_map.SELECTION][0]
    assert pick["select"] == {"type": "point", "fields": ["index", "x", "y"], "on": "click[!event.shiftKey]",
                              "nearest": True, "clear": False, "toggle": False}
    assert pick["views"] == [spec["layer"][0]["name"]]  # the dots' layer, which holds the grid of places too
    zoom = [p for p in spec["params"] if p.get("bind") == "scales"]
    assert zoom and zoom[0]["views"] == pick["views"]  # the wheel zooms, shift-drag pans (a plain drag would click)
    assert zoom[0]["select"]["translate"].startswith("[pointerdown[event.shiftKey]")
    assert zoom[0]["select"]["clear"] == "dblclick[event.shiftKey]"
    assert spec["title"] == "a map"
    assert spec["config"]["aria"] is False
    assert spec["usermeta"]["embedOptions"]["renderer"] == "canvas"  # ~4,000 marks and cells: no SVG elements


def test_a_walk_adds_its_path_and_labelled_ends(points):
    coords, labels, names = points
    spec = latent_map.map_chart(coords, labels, names, "walk", grid_steps=0, path=np.zeros((6, 2)),
                                marks={"A": (0, 0), "B": (3, 1)}).to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["circle", "line", "point", "text"]
    assert spec["usermeta"]["embedOptions"]["renderer"] == "svg"  # no grid: a few hundred marks


def test_reading_a_click():
    assert latent_map.picked(None) is None
    assert latent_map.picked({"selection": {latent_map.SELECTION: []}}) is None
    event = {"selection": {latent_map.SELECTION: [{"index": 7, "x": 1.5, "y": -2}]}}
    assert latent_map.picked(event) == {"index": 7, "x": 1.5, "y": -2.0}
    place = {"selection": {latent_map.SELECTION: [{"index": latent_map.PLACE, "x": 0.25, "y": 4}]}}
    assert latent_map.picked(place)["index"] == latent_map.PLACE
