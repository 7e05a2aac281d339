"""The VAE Explorer's clickable map (ui/latent_map.py): its rows, its Vega-Lite spec, and reading a click back."""
import numpy as np
import pytest

from ui import latent_map


@pytest.fixture
def points():
    coords = np.array([[0.0, 0.0], [1.0, 2.0], [3.0, 1.0]])
    return coords, np.array([0, 1, 1]), ["zero", "one"]


def test_rows_are_the_dots_and_cells_of_places_tile_the_map(points):
    coords, labels, names = points
    dots = latent_map.map_rows(coords, labels, names)
    assert list(dots["index"]) == [0, 1, 2] and list(dots["class"]) == ["zero", "one", "one"]
    assert list(dots["tip"]) == ["zero · test #0", "one · test #1", "one · test #2"]
    cells = latent_map.place_cells(coords, steps=5)
    assert len(cells) == 25 and (cells["index"] == latent_map.PLACE).all()
    # the cells cover the dots with a 5% margin, edge to edge, and a click on one decodes its centre
    assert cells["x0"].min() == pytest.approx(-0.15) and cells["x1"].max() == pytest.approx(3.15)
    assert cells["y0"].min() == pytest.approx(-0.1) and cells["y1"].max() == pytest.approx(2.1)
    assert np.allclose(cells["x"], (cells["x0"] + cells["x1"]) / 2)
    assert np.allclose(cells["y"], (cells["y0"] + cells["y1"]) / 2)
    assert np.allclose((cells["x1"] - cells["x0"]) * (cells["y1"] - cells["y0"]), 3.3 * 2.2 / 25)  # 25 equal tiles
    assert len(cells[["x", "y"]].drop_duplicates()) == 25


def test_the_chart_picks_what_a_click_lands_on(points):
    spec = latent_map.map_chart(*points, "a map").to_dict()
    pick = [p for p in spec["params"] if p["name"] == latent_map.SELECTION][0]
    assert pick["select"] == {"type": "point", "fields": ["index", "x", "y"], "on": "click[!event.shiftKey]",
                              "nearest": False, "clear": False, "toggle": False}
    cells, dots = spec["layer"]
    assert (cells["mark"]["type"], dots["mark"]["type"]) == ("rect", "circle")  # the dots drawn over the cells
    assert cells["encoding"]["x2"] == {"field": "x1"} and cells["encoding"]["tooltip"] == {"value": "decode here"}
    for layer in (cells, dots):  # the picked dot or cell gets a black outline
        assert layer["encoding"]["stroke"]["condition"] == {"param": latent_map.SELECTION, "value": "black",
                                                            "empty": False}
    zoom = [p for p in spec["params"] if p.get("bind") == "scales"]
    assert zoom and zoom[0]["views"] == pick["views"]  # the wheel zooms, shift-drag pans (a plain drag would click)
    assert zoom[0]["select"]["translate"].startswith("[pointerdown[event.shiftKey]")
    assert zoom[0]["select"]["clear"] == "dblclick[event.shiftKey]"
    assert spec["title"] == "a map"
    assert spec["config"]["aria"] is False
    assert spec["usermeta"]["embedOptions"]["renderer"] == "canvas"  # ~2,000 marks: no SVG elements
    # without cells, a click picks the nearest dot
    bare = latent_map.map_chart(*points, "dots", grid_steps=0).to_dict()
    assert [p for p in bare["params"] if p["name"] == latent_map.SELECTION][0]["select"]["nearest"] is True


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
