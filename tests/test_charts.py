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
