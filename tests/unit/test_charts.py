"""ui/charts.py: the pictures drawn instead of Vega-Lite or Plotly charts on a page's first view."""
import numpy as np

from ui.charts import HISTOGRAM_COLOURS, densities_on_shared_bins, histogram_picture, nice_ticks


def test_each_group_is_a_density_on_shared_bins():
    rng = np.random.default_rng(0)
    edges, densities = densities_on_shared_bins({"samples": rng.normal(0, 1, 500), "held-out": rng.normal(2, 1, 50)},
                                                bins=20)
    assert len(edges) == 21 and set(densities) == {"samples", "held-out"}
    for density in densities.values():
        assert np.isclose((np.diff(edges) * density).sum(), 1.0)  # area 1 each, whatever the group's size


def test_nice_ticks_are_round_and_inside_the_range():
    assert nice_ticks(0, 1).tolist() == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert [f"{t:g}" for t in nice_ticks(-0.001, 0.09)][0] == "0"  # not "-0"
    ticks = nice_ticks(3.7, 42.1)
    assert ticks[0] >= 3.7 and ticks[-1] <= 42.1 and np.allclose(np.diff(ticks), 10)


def test_the_histogram_picture_puts_each_group_where_its_values_are():
    """Two groups in separate halves of the range: the first group's colour fills the plot's left, the second's its
    right, and no pixel mixes both (they do not overlap)."""
    picture = np.asarray(histogram_picture({"low": np.full(100, 1.0), "high": np.full(10, 9.0)}, "t", "x", bins=8,
                                           size=(520, 330))).astype(int)
    assert picture.shape == (330, 520, 3)

    def columns_tinted(colour):
        # translucent over white: the colour's hue, lightened (alpha 140 / 255)
        tint = np.array(colour) * 140 / 255 + 255 * (1 - 140 / 255)
        return np.flatnonzero((np.abs(picture - tint).sum(-1) < 12).any(0))
    low, high = columns_tinted(HISTOGRAM_COLOURS[0]), columns_tinted(HISTOGRAM_COLOURS[1])
    assert len(low) and len(high)
    assert low.max() < 260 < high.min()  # left half, right half (the legend sits below the plot)


def test_the_schedule_picture_marks_t_on_each_curve():
    """Three panels; the dot at t on each abar_t curve sits at that schedule's value (read back from the pixels)."""
    from gen_core.labs import diffusion as diffusion_lab
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
