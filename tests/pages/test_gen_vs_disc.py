"""The generative-vs-discriminative page through AppTest: every row of the table leads to a working experiment,
and the controls change what is computed."""
import pytest

from tests.apptest import open_page, open_tab

PAGE = "app_pages/gen_vs_disc/page.py"


@pytest.fixture
def page():
    return open_page(PAGE)


def run(target):
    """Run the app (target: the AppTest, or a widget whose value was just set) and check it raised nothing."""
    at = target.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chart_specs(at) -> list[str]:
    return [c.proto.spec for c in at.get("plotly_chart")]


def test_the_table_rows_lead_to_their_tabs(page):
    labels = [b.label for b in page.button]
    for tab in ("Decision boundaries", "Learning curves", "Missing data", "Irrelevant features", "Generation",
                "Outliers"):
        assert tab in labels
    run(page.button(key="gvd_go_Missing data").click())
    assert page.session_state["gvd_tab"] == "Missing data"
    assert any("% of test features hidden" in s for s in chart_specs(page))


def boundary_picture(at) -> tuple[str, str]:
    """(the decision-boundary picture's URL, its caption with each model's test accuracy)."""
    shown = [im for element in at.get("image") for im in element.proto.imgs if "test acc" in im.caption]
    assert len(shown) == 1
    return shown[0].url, shown[0].caption


def test_decision_boundaries_on_a_toy(page):
    run(page.selectbox(key="gvd_data").set_value("moons"))
    open_tab(page, "gvd_tab", "Decision boundaries")
    url, caption = boundary_picture(page)
    assert "Naive Bayes: test acc" in caption and "RBF SVM: test acc" in caption
    run(page.select_slider(key="gvd_bound_n").set_value(20))
    assert boundary_picture(page)[0] != url
    assert any("the 20 training points" in c.value for c in page.caption)


def test_decision_boundaries_of_many_features_are_drawn_on_principal_components(page):
    open_tab(page, "gvd_tab", "Decision boundaries")
    assert any("first two principal components" in i.value for i in page.info)
    assert "Naive Bayes: test acc" in boundary_picture(page)[1]


def test_learning_curves_show_the_crossover_on_the_synthetic_task(page):
    run(page.selectbox(key="gvd_data").set_value("two correlated Gaussians (adjustable)"))
    open_tab(page, "gvd_tab", "Learning curves")
    captions = " ".join(c.value for c in page.caption)
    assert "Crossover: Naive Bayes is ahead at n =" in captions and "overtakes from n =" in captions, captions
    import json
    spec = json.loads(page.get("plotly_chart")[0].proto.spec)
    low, high = spec["layout"]["xaxis"]["range"]  # log10 units: the axis spans 8 to 1000 examples, not 10^89
    assert 0.8 < low < 1 and 2.9 < high < 3.1
    line = [shape for shape in spec["layout"]["shapes"] if shape.get("x0") == shape.get("x1")]
    label = [a for a in spec["layout"]["annotations"] if "overtakes" in a["text"]]
    assert line and label and abs(10 ** label[0]["x"] - line[0]["x0"]) < 1e-6  # the label sits on its line
    run(page.slider(key="gvd_corr").set_value(0.0))
    assert " ".join(c.value for c in page.caption) != captions


def test_generation_shows_digit_samples_and_says_discriminative_models_cannot(page):
    open_tab(page, "gvd_tab", "Generation")
    assert any("samples drawn in" in im.caption for e in page.get("image") for im in e.proto.imgs)
    assert any("cannot generate" in i.value for i in page.info)


def test_outliers_give_auroc_per_model(page):
    open_tab(page, "gvd_tab", "Outliers")
    spec = chart_specs(page)[0]
    assert "AUROC" in spec and "log p(x)" in spec and "max p(y | x)" in spec
    run(page.selectbox(key="gvd_out_kind").set_value("inverted images"))
    assert chart_specs(page)[0] != spec


def test_irrelevant_features_chart(page):
    open_tab(page, "gvd_tab", "Irrelevant features")
    assert any("noise features added" in s for s in chart_specs(page))


def test_a_model_that_cannot_be_fitted_on_so_few_points_says_so_and_the_others_draw(page):
    """Digits with 10 training points: one per class, so QDA's covariance is undefined."""
    open_tab(page, "gvd_tab", "Decision boundaries")
    run(page.select_slider(key="gvd_bound_n").set_value(10))
    assert any("QDA cannot be fitted on these 10 points" in w.value for w in page.warning)
    caption = boundary_picture(page)[1]
    assert "Naive Bayes: test acc" in caption and "QDA" not in caption
