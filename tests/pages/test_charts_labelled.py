"""Every chart on the pages has both axes titled (a number on a wall means nothing without its name), checked on the
charts each tab draws by default, in AppTest: Plotly figures by their layout, Altair/Vega-Lite charts by their spec."""
import json

import pytest

from tests.apptest import fresh_session_on

VIEWS = [
    ("app_pages/gan_studio/page.py", {"gan_tab": "Training history", "gan_model": "gan-digits"}),
    ("app_pages/gan_studio/page.py", {"gan_tab": "Mode collapse"}),
    ("app_pages/gan_studio/page.py", {"gan_tab": "Interpolation"}),
    ("app_pages/gan_studio/page.py", {"gan_tab": "Truncation trade-off"}),
    ("app_pages/vae_explorer/page.py", {"vae_tab": "Posterior collapse"}),
    ("app_pages/gen_vs_disc/page.py", {"gvd_data": "moons", "gvd_tab": "Learning curves"}),
    ("app_pages/gen_vs_disc/page.py", {"gvd_data": "moons", "gvd_tab": "Generation"}),
    ("app_pages/gen_vs_disc/page.py", {"gvd_data": "moons", "gvd_tab": "Outliers"}),
    ("app_pages/diffusion_theater/page.py", {"diff_tab": "2-D"}),
    ("app_pages/diffusion_theater/page.py", {"diff_tab": "Guidance"}),
    ("app_pages/likelihood_lab/page.py", {"ll_tab": "HMM"}),
]


CARTESIAN = {"scatter", "scattergl", "bar", "histogram", "heatmap", "contour", "box", "violin"}


def untitled_axes(spec: dict) -> list[str]:
    """The Plotly axes that some trace draws on (x -> layout.xaxis, x2 -> layout.xaxis2, ...) and that have no
    title: an axis no one set is missing from the layout, and counts as untitled."""
    layout = spec.get("layout", {})
    used = set()
    for trace in spec.get("data", []):
        if trace.get("type", "scatter") in CARTESIAN:
            used |= {"xaxis" + trace.get("xaxis", "x")[1:], "yaxis" + trace.get("yaxis", "y")[1:]}
    missing = []
    for key in sorted(used):
        axis = layout.get(key, {})
        if axis.get("visible") is False or axis.get("showticklabels") is False:
            continue
        title = axis.get("title")
        if not (title.get("text") if isinstance(title, dict) else title):
            missing.append(key)
    return missing


def vega_untitled(spec: dict) -> list[str]:
    """The x / y encodings of a Vega-Lite spec (and its layers) with neither a title nor a field name."""
    missing = []
    for part in [spec, *spec.get("layer", []), *spec.get("hconcat", []), *spec.get("vconcat", [])]:
        for channel in ("x", "y"):
            encoding = part.get("encoding", {}).get(channel)
            if encoding and encoding.get("title", encoding.get("field")) in (None, ""):
                missing.append(channel)
    return missing


@pytest.mark.parametrize("page, params", VIEWS, ids=[f"{p.split('/')[1]}-{'-'.join(v.values())}" for p, v in VIEWS])
def test_every_chart_names_its_axes(page, params):
    at = fresh_session_on(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    plotly = [json.loads(e.proto.spec) for e in at.get("plotly_chart")]
    vega = [json.loads(e.proto.spec) for e in at.get("vega_lite_chart")]
    assert plotly or vega, "this view draws no chart: pick one that does"
    for spec in plotly:
        assert not untitled_axes(spec), (spec.get("layout", {}).get("title"), untitled_axes(spec))
    for spec in vega:
        assert not vega_untitled(spec), (spec.get("title"), vega_untitled(spec))
