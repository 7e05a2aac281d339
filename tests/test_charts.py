"""ui/charts.py: the Vega-Lite histogram the GAN Studio's first tab draws instead of a Plotly one."""
import numpy as np

from ui.charts import histogram_chart


def test_each_group_is_a_density_on_shared_bins():
    rng = np.random.default_rng(0)
    chart = histogram_chart({"samples": rng.normal(0, 1, 500), "held-out real": rng.normal(2, 1, 50)}, "t", "x",
                            bins=20)
    data = chart.data
    assert set(data["group"]) == {"samples", "held-out real"} and len(data) == 40
    for _, rows in data.groupby("group"):
        assert np.isclose(((rows["end"] - rows["start"]) * rows["density"]).sum(), 1.0)  # area 1 each
    spec = chart.to_dict()
    assert spec["mark"]["type"] == "rect" and spec["encoding"]["y2"] == {"datum": 0}


def test_the_schedule_picture_marks_t_on_each_curve():
    """Three panels; the dot at t on each abar_t curve sits at that schedule's value (read back from the pixels)."""
    from gen_core import diffusion_lab
    from ui.charts import SCHEDULE_COLOURS, schedule_picture
    curves = diffusion_lab.schedule_curves(1000)
    picture = np.asarray(schedule_picture(curves, 250, panel=(300, 230)))
    assert picture.shape == (230 + 13 + 16, 900, 3)
    # the abar_t panel: x from 0 to 999 between its margins, y = 1 at the top of the plot and 0 at its bottom
    left, right, top, bottom = int(3.2 * 13) + 14, 300 - 13, 13 + 14, 230 - (13 + 14)
    u = 300 + round(left + 250 / 999 * (right - left))
    around_t = picture[:bottom, u - 3:u + 4].astype(int)
    for name, colour in zip(curves, SCHEDULE_COLOURS):
        rows = np.flatnonzero((np.abs(around_t - colour).sum(-1) < 30).all(1))  # the dot fills all 7 columns
        expected = bottom - float(curves[name]["abar"][250]) * (bottom - top)
        assert len(rows) and abs(np.median(rows) - expected) < 3, (name, rows, expected)
