"""GAN Studio through AppTest, on the shipped GAN checkpoints: every control changes what is shown."""
import math

import pytest

from tests.apptest import captions, open_page, open_tab


@pytest.fixture
def studio():
    return open_page("app_pages/gan_studio/page.py")


def image(at, contains):
    """(url, caption) of the one image whose caption contains `contains`."""
    found = [(im.url, im.caption) for element in at.get("image") for im in element.proto.imgs
             if contains in im.caption]
    assert len(found) == 1, [im.caption for e in at.get("image") for im in e.proto.imgs]
    return found[0]


def grid(at):
    """(url, caption) of the sample grid."""
    return image(at, "samples, seed")


def pick_model(at, name):
    at.selectbox(key="gan_model").set_value(name).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_shipped_models_are_offered(studio):
    options = [o.split()[0] for o in studio.selectbox(key="gan_model").options]  # labels: "name  (family on ...)"
    for name in ("gan-digits", "gan-digits-collapsed", "dcgan-digits", "cgan-digits", "dcgan-shapes", "cgan-shapes"):
        assert name in options


def test_seed_new_samples_and_grid_size_change_the_grid(studio):
    pick_model(studio, "dcgan-digits")
    first = grid(studio)
    assert first[1].startswith("32 samples, seed 0")
    studio.number_input(key="gan_seed").set_value(11).run()
    second = grid(studio)
    assert second[0] != first[0] and "seed 11" in second[1]
    studio.button[0].click().run()
    assert studio.number_input(key="gan_seed").value == 12 and grid(studio)[0] != second[0]
    studio.select_slider(key="gan_count").set_value(16).run()
    assert grid(studio)[1].startswith("16 samples")


def test_truncation_trades_diversity(studio):
    pick_model(studio, "dcgan-digits")
    before = grid(studio)[0]
    studio.slider(key="gan_truncation").set_value(0.0).run()
    assert grid(studio)[0] != before and "ψ = 0.00" in grid(studio)[1]
    spread = [c.value for c in studio.caption if "pixel spread" in c.value][0]
    assert "pixel spread across the grid 0.000" in spread  # psi = 0: every sample is the same image


def test_conditional_model_draws_one_row_per_class_or_a_chosen_class(studio):
    pick_model(studio, "cgan-digits")
    assert grid(studio)[1].startswith("80 samples") and grid(studio)[1].endswith("one row per class")
    before = grid(studio)[0]
    studio.selectbox(key="gan_classes").set_value("7").run()
    assert grid(studio)[1].endswith("all class 7") and grid(studio)[0] != before


def test_discriminator_scores_and_nearest_neighbours_are_shown(studio):
    pick_model(studio, "dcgan-digits")
    assert any("D = the discriminator's probability" in c.value and "Mean over the grid" in c.value
               for c in studio.caption)
    url, caption = image(studio, "nearest training images")
    assert caption.startswith("sample #0 (D=0.") and caption.count("#") == 5
    studio.number_input(key="gan_inspect").set_value(3).run()
    assert image(studio, "nearest training images")[1].startswith("sample #3")


def test_interpolation_strip_follows_its_controls(studio):
    pick_model(studio, "cgan-digits")
    open_tab(studio, "gan_tab", "Interpolation")
    strip = [e for e in studio.get("image") if "path from" in e.proto.imgs[0].caption][0]
    assert "linear path from #0 to #79, class 0 -> 9" in strip.proto.imgs[0].caption  # one row per class
    first = strip.proto.imgs[0].url
    studio.radio(key="gan_path").set_value("spherical").run()
    studio.number_input(key="gan_to").set_value(5).run()
    strip = [e for e in studio.get("image") if "path from" in e.proto.imgs[0].caption][0]
    assert "spherical path from #0 to #5, class 0 -> 0" in strip.proto.imgs[0].caption  # 8 per class
    assert strip.proto.imgs[0].url != first
    studio.slider(key="gan_frames").set_value(20).run()
    assert any(d.proto.label == "Download GIF" for d in studio.get("download_button"))


def test_training_history_snapshot_slider_and_value_function(studio):
    pick_model(studio, "dcgan-digits")
    open_tab(studio, "gan_tab", "Training history")
    snap = [e for e in studio.get("image") if "noise vectors decoded at step" in e.proto.imgs[0].caption][0]
    first = snap.proto.imgs[0].url
    charts = [c.proto.spec for c in studio.get("plotly_chart")]
    said = lambda: next(c.value for c in studio.caption if c.value.startswith("At step"))  # noqa: E731
    assert said().startswith(f"At step {int(studio.select_slider(key='gan_snapshot').value)} ")
    slider = studio.select_slider(key="gan_snapshot")
    slider.set_value(slider.options[1]).run()
    snap = [e for e in studio.get("image") if "noise vectors decoded at step" in e.proto.imgs[0].caption][0]
    assert snap.proto.imgs[0].url != first
    # the step is said in numbers; the charts stay as they were, so no browser draws them again
    assert said().startswith(f"At step {int(slider.options[1])} ") and "D loss" in said()
    assert [c.proto.spec for c in studio.get("plotly_chart")] == charts and len(charts) == 2
    assert any("V(D,G)" in x.value for x in studio.get("latex"))
    # the whole training plays in the browser: one frame per snapshot, sent once
    from tests.pages.test_diffusion_theater import player_data
    frames, captions_ = player_data(studio.get("iframe")[0].proto.srcdoc)
    assert len(frames) == len(slider.options) and len(set(frames)) == len(frames)
    assert captions_[-1].endswith(f"step {slider.options[-1]}")


def test_collapsed_model_covers_fewer_classes(studio):
    open_tab(studio, "gan_tab", "Mode collapse")
    covered = {m.label: m.value for m in studio.metric}
    values = [m.value for m in studio.metric if m.label == "Classes covered"]
    assert len(values) == 2 and covered
    healthy, collapsed = (int(v.split("/")[0]) for v in values)
    assert studio.selectbox(key="gan_left").value == "gan-digits"
    assert studio.selectbox(key="gan_right").value == "gan-digits-collapsed"
    assert collapsed < healthy


def test_switching_between_conditional_models_resets_class_choice(studio):
    pick_model(studio, "cgan-digits")
    studio.selectbox(key="gan_classes").set_value("7").run()
    pick_model(studio, "cgan-shapes")
    assert studio.selectbox(key="gan_classes").value == "one row per class"
    assert grid(studio)[1].endswith("one row per class")


def test_only_the_open_tab_runs(studio):
    assert any("samples, seed" in im.proto.imgs[0].caption for im in studio.get("image"))
    assert not studio.get("latex")  # the training history tab has not run
    open_tab(studio, "gan_tab", "Training history")
    assert studio.get("latex") and not any("samples, seed" in im.proto.imgs[0].caption for im in studio.get("image"))


def test_cyclegan_tab_shows_translations_checked_against_the_answer(studio):
    open_tab(studio, "gan_tab", "CycleGAN")
    options = [o.split()[0] for o in studio.selectbox(key="cyc_model").options]
    assert {"cyclegan-digits-invert", "cyclegan-digits-invert-mlp", "cyclegan-digits-rot90"} <= set(options)
    studio.selectbox(key="cyc_model").set_value("cyclegan-digits-invert").run()
    first = image(studio, "cyclegan-digits-invert:")
    metrics = {m.label: m.value for m in studio.metric}
    assert float(metrics["Digit kept (test set)"].rstrip("%")) >= 95
    assert len(studio.dataframe[0].value) == len(options)  # the comparison table: one row per translator
    studio.number_input(key="cyc_seed").set_value(7).run()
    assert image(studio, "cyclegan-digits-invert:")[0] != first[0]  # other test images
    studio.button(key="cyc_next").click().run()
    assert studio.number_input(key="cyc_seed").value == 8
    studio.selectbox(key="cyc_model").set_value("cyclegan-digits-invert-mlp").run()
    assert not studio.exception
    metrics = {m.label: m.value for m in studio.metric}
    assert float(metrics["Digit kept (test set)"].rstrip("%")) < 50  # same losses, a digit-swapping map


def test_the_progressive_gan_history_says_what_resolution_it_worked_at(studio):
    pick_model(studio, "progan-digits")
    open_tab(studio, "gan_tab", "Training history")
    steps = [int(s) for s in studio.select_slider(key="gan_snapshot").options]
    text = lambda: " ".join(m.value for m in studio.markdown)  # noqa: E731
    assert "Progressive growing" in text() and "were working at 8x8" in text()
    studio.select_slider(key="gan_snapshot").set_value(next(s for s in steps if 0 < s < 500)).run()
    assert "were working at 4x4" in text()
    studio.select_slider(key="gan_snapshot").set_value(next(s for s in steps if 500 < s < 1000)).run()
    assert "fading it in with alpha" in text()


def test_training_your_own_translator_goes_through_the_queue_and_shows_what_it_learned(studio, genlab_home):
    from ui.jobs_panel import job_queue, trained

    open_tab(studio, "gan_tab", "CycleGAN")
    assert "Digit kept (test set), yours" not in {m.label for m in studio.metric}
    studio.radio(key="cyc_train_arch").set_value("conv")
    studio.slider(key="cyc_train_epochs").set_value(10)
    studio.button(key="cyc_train").click().run()
    assert not studio.exception, [e.value for e in studio.exception]
    job = job_queue().get(studio.session_state["cyc_job"])  # queued for the worker process, not run in the script
    assert job.kind == "train" and "cyclegan (conv" in job.title
    job = job_queue().wait(job, timeout=300)
    assert job.status == "done", job.error
    studio.run()
    metrics = {m.label: m.value for m in studio.metric}
    assert float(metrics["Cycle error, yours"]) < 1.0  # a real, if short, training run: evaluated on the test set
    assert 0 <= float(metrics["Digit kept (test set), yours"].rstrip("%")) <= 100
    assert any("your translator: conv translators" in c for c in captions(studio))
    path, card = trained(job)
    history = card["history"]
    assert history["step"][-1] == 120 and history["cycle"][-1] < history["cycle"][0]
    studio.number_input(key="cyc_seed").set_value(3).run()  # the trained model stays while the page reruns
    assert "Cycle error, yours" in {m.label for m in studio.metric}
    assert any(o.startswith(path.name) for o in studio.selectbox(key="cyc_model").options)  # saved: a checkpoint


def captioned(at, contains):
    return [im for e in at.get("image") for im in e.proto.imgs if contains in im.caption]


def test_style_mixing_tab_mixes_and_follows_its_controls(studio):
    open_tab(studio, "gan_tab", "Style mixing")
    assert not studio.exception, [e.value for e in studio.exception]
    sheet = captioned(studio, "Top row: the sources of the fine styles")
    assert len(sheet) == 1 and "(4x4, 4x4)" in sheet[0].caption  # the coarse layers by default
    follows = {m.label: m.value for m in studio.metric}
    assert int(follows["Class follows the row source"].rstrip("%")) >= 90
    studio.slider(key="sty_crossover").set_value(1).run()
    moved = captioned(studio, "Top row: the sources of the fine styles")[0]
    assert moved.url != sheet[0].url and "styles (4x4)" in moved.caption
    assert int({m.label: m.value for m in studio.metric}["Class follows the row source"].rstrip("%")) < 90
    noise = captioned(studio, "eight draws of the per-pixel noise in every layer")
    studio.radio(key="sty_noise_layers").set_value("fine").run()
    assert captioned(studio, "per-pixel noise in the fine layers only")[0].url != noise[0].url


def test_self_attention_tab_draws_the_map_of_the_chosen_pixel(studio):
    open_tab(studio, "gan_tab", "Self-attention")
    assert not studio.exception, [e.value for e in studio.exception]
    first = captioned(studio, "looked")
    assert len(first) == 1 and "pixel (7, 14)" in first[0].caption
    entropy = {m.label: m.value for m in studio.metric}
    assert float(entropy["Entropy, all positions"].split()[0]) < math.log(14 * 14)
    studio.slider(key="att_row").set_value(20).run()
    moved = captioned(studio, "looked")[0]
    assert "pixel (20, 14)" in moved.caption and moved.url != first[0].url
    studio.selectbox(key="att_class").set_value("ring").run()
    assert "(ring, ring, ring" in captioned(studio, "looked")[0].caption


def test_truncation_tab_shows_the_curve_samples_by_threshold_and_the_batch_sizes(studio):
    open_tab(studio, "gan_tab", "Truncation trade-off")
    assert not studio.exception, [e.value for e in studio.exception]
    sheet = captioned(studio, "at each threshold")
    assert len(sheet) == 1 and "class 3" in sheet[0].caption
    assert len(studio.get("plotly_chart")) == 2
    table = studio.dataframe[0].value
    assert {64, 8} <= set(table["batch size"])
    studio.selectbox(key="trunc_class").set_value("7").run()
    assert captioned(studio, "at each threshold")[0].url != sheet[0].url


def test_the_variants_sample_in_the_samples_tab_too(studio):
    for name in ("biggan-digits", "stylegan-digits", "sagan-shapes"):
        pick_model(studio, name)
        assert grid(studio)[1].split(",")[0].endswith("samples")


@pytest.mark.parametrize("tab, text", [("Domain adaptation", "Translating first recovers"),
                                       ("Synthetic data", "10 real per class"),
                                       ("Features", "With 5 labels per class"),
                                       ("Dataset size", "Train the same model")])
def test_the_uses_tabs_show_their_measured_figures(studio, tab, text):
    open_tab(studio, "gan_tab", tab)
    shown = " ".join(e.value for kind in ("markdown", "success", "warning") for e in studio.get(kind))
    assert text in shown
    assert studio.get("plotly_chart")


def test_the_adaptation_tab_says_when_a_translator_fails(studio):
    open_tab(studio, "gan_tab", "Domain adaptation")
    studio.selectbox(key="gan_adapt_model").set_value("cyclegan-digits-rot90").run()
    assert not studio.exception
    assert any("does not carry the knowledge over" in w.value for w in studio.warning)


def test_the_next_seeds_grid_is_ready_before_new_samples_is_pressed(monkeypatch):
    """While a class looks at a grid, the next seed's batch (forward pass and nearest training images) and picture
    are made in the background (ui.lab_cache.ahead): pressing New samples then computes nothing, so thirty students
    pressing it together wait on no network."""
    import threading
    import time

    import streamlit as st

    from ui import lab_cache

    # As a fresh server process: another test in this process may have done seed 1's work ahead and then cleared
    # the caches it filled (ahead remembers what it did and would not do it again)
    st.cache_data.clear()
    lab_cache._done_ahead.clear()
    studio = open_page("app_pages/gan_studio/page.py")

    from gen_core.labs import gan as gan_lab

    # The work ahead runs at the lowest CPU priority (gen_core.background): beside another busy test process it may
    # take minutes; the test is that New samples finds it done, so it waits for it (ten minutes at most).
    started = time.monotonic()
    while any(t.name == "genlab-ahead" for t in threading.enumerate()) and time.monotonic() - started < 600:
        time.sleep(0.05)
    before = grid(studio)

    for made_ahead in ("samples_batch", "nearest_training"):
        def not_again(*args, **kwargs):
            raise AssertionError("New samples computed its batch instead of finding it made ahead")
        not_again.__module__, not_again.__qualname__ = gan_lab.__name__, made_ahead  # lab_call's cache key
        monkeypatch.setattr(gan_lab, made_ahead, not_again)
    studio.button[0].click().run()  # New samples
    assert not studio.exception, [e.value for e in studio.exception]
    assert "seed 1," in grid(studio)[1] and grid(studio)[0] != before[0]


def test_the_start_up_makes_the_first_grid_and_the_next_so_a_fresh_class_computes_neither(genlab_home, monkeypatch):
    """ui.warmup.warm_first_views keeps seed 0's and seed 1's batches on disk before anyone visits: a page opened on
    a fresh process (no cache in memory) and New samples draw no sample of either seed; only the grid after (seed 2,
    made ahead) is computed."""
    import threading
    import time

    import streamlit as st

    from gen_core.models import gan
    from ui.warmup import warm_first_views

    report = warm_first_views()
    assert set(report) == {"cgan-fashion/0", "cgan-fashion/1"}
    assert all(isinstance(seconds, float) for seconds in report.values()), report  # made, not a problem
    st.cache_data.clear()  # as a fresh server process: only the disk holds them
    drawn, real = [], gan.sample_batch

    def recording(model, n, *, generator, **kwargs):
        drawn.append(generator.initial_seed())
        return real(model, n, generator=generator, **kwargs)
    monkeypatch.setattr(gan, "sample_batch", recording)

    at = open_page("app_pages/gan_studio/page.py")
    at.button[0].click().run()  # New samples
    assert not at.exception, [e.value for e in at.exception]
    assert "seed 1," in grid(at)[1]
    started = time.monotonic()
    while any(t.name == "genlab-ahead" for t in threading.enumerate()) and time.monotonic() - started < 600:
        time.sleep(0.05)
    assert drawn and set(drawn) == {2}, drawn
