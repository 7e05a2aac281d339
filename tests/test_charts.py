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


def test_the_schedule_chart_marks_t_on_each_curve():
    from gen_core.models import diffusion as D
    from ui.charts import schedule_chart
    schedules = {n: {k: v.numpy() for k, v in D.make_schedule(n, 1000).items()} for n in ("linear", "cosine")}
    spec = schedule_chart(schedules, 250).to_dict()
    assert [p["title"] for p in spec["hconcat"]][1] == "ᾱ_t (signal kept)" and len(spec["hconcat"]) == 3
    abar_marks = [d for d in spec["datasets"].values() if len(d) == 2 and all(r.get("t") == 250 for r in d)]
    values = sorted(r["value"] for rows in abar_marks for r in rows)
    assert any(np.isclose(v, float(schedules["cosine"]["abar"][250])) for v in values)
    assert any(np.isclose(v, float(schedules["linear"]["abar"][250])) for v in values)
