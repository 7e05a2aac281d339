"""Guided lessons: for each section of the syllabus, a sequence of steps, each putting a page into a particular
state (model, data, tab, sliders) and saying what to look at. Some steps ask the learner to predict first: the
question comes with the page still showing the step before, the guess is taken, and only then does the page show
the answer beside a value measured on the shipped models (gen_core/measures.py), never a typed-in one.

A lesson's place is in the URL (?lesson=vae&step=4), so a teacher can project a step or hand it out. The panel sits
above every page while a lesson runs (frame.py); Home lists the lessons.
"""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from typing import Callable

import streamlit as st

from gen_core import likelihood, measures
from gen_core.labs import diffusion as diffusion_lab
from gen_core.labs.classifiers import SYNTHETIC
from gen_core.classroom import Classroom
from gen_core.shipped import ASSETS
from ui import classroom, links
from ui.charts import bars
from ui.widget_keys import DIFFUSION, GAN, GVD, LIKELIHOOD, PLAYGROUND, VAE
from ui.loaders import core_on, get_core

GAN_PAGE, VAE_PAGE, DIFFUSION_PAGE, GVD_PAGE, PLAYGROUND_PAGE = ("app_pages/gan_studio/page.py", "app_pages/vae_explorer/page.py",
                                        "app_pages/diffusion_theater/page.py", "app_pages/gen_vs_disc/page.py",
                                        "app_pages/playground/page.py")
LIKELIHOOD_PAGE = "app_pages/likelihood_lab/page.py"


@dataclass(frozen=True)
class Predict:
    """Ask before showing: `reveal` is the page state that shows the answer, `measure(core)` the measured value
    (gen_core.measures), and `answer(measured)` the choice that value makes right."""
    ask: str
    choices: tuple[str, ...]
    measure: Callable
    answer: Callable[[dict], str]
    reveal: dict = field(default_factory=dict)
    # view(core): the slow lab work the revealed page state draws (kept on disk by gen_core.kept), run at server
    # start by ui.warmup.warm_reveals so a reveal answers at once in front of a class; None where it is quick
    view: Callable | None = None


@dataclass(frozen=True)
class Step:
    title: str
    page: str
    state: dict          # widget key -> value, set when the step opens (None: forget the key, back to its default)
    look: str            # what to look at (Markdown, ours)
    predict: Predict | None = None


@dataclass(frozen=True)
class Lesson:
    key: str
    title: str
    summary: str
    steps: tuple[Step, ...]


def bucket(value: int, edges: tuple[tuple[int, int, str], ...]) -> str:
    """The choice whose inclusive range (low, high, label) holds `value`."""
    return next(label for low, high, label in edges if low <= value <= high)


def labels(edges: tuple[tuple[int, int, str], ...]) -> tuple[str, ...]:
    """The choices a bucketed question offers, in order."""
    return tuple(label for *_, label in edges)


def counted(ask: str, edges: tuple[tuple[int, int, str], ...], measure: Callable, reveal: dict,
            view: Callable | None = None) -> Predict:
    """A question whose answer is a count, offered as the ranges in `edges`."""
    return Predict(ask, labels(edges), measure, lambda m: bucket(m["value"], edges), reveal, view)


# --- the slow views reveals open, with the tabs' defaults (a test checks a reveal then measures nothing) -----------

def samplers_view(core, name: str = "ddpm-digits", n: int = 16, seed: int = 0, steps: int = 50) -> None:
    """The Diffusion Theater's Samplers tab: DDIM, Heun and DDPM's T steps, and one image's SDE and ODE paths."""
    T = int(core.load(name).card["config"]["timesteps"])
    for sampler, k in (("ddim", steps), ("heun", steps), ("ddpm", T)):
        diffusion_lab.sampler_run(core, name, n, seed, sampler, k, 0.0)
    diffusion_lab.path(core, name, seed, "ddpm", None)
    diffusion_lab.path(core, name, seed, "heun", steps)


def guidance_view(core, label: int, scales: tuple[float, ...], name: str = "ddpm-digits", n: int = 8,
                  seed: int = 0) -> None:
    """The Diffusion Theater's Guidance tab for one class."""
    from gen_core.data import load_card_dataset
    dataset = load_card_dataset(core.load(name).card["dataset"]["name"])
    diffusion_lab.guidance_grid(core, name, dataset, label, tuple(sorted(scales)), n, seed,
                                diffusion_lab.GUIDANCE_STEPS)


def curves_view(data_key: tuple, names: tuple[str, ...], resamples: int = 10, seed: int = 0) -> None:
    """The Generative vs Discriminative page's Learning curves tab."""
    from gen_core.labs import classifiers as lab
    X_train, y_train = lab.task_of(data_key)[:2]
    sizes = lab.curve_sizes(len(X_train), len(set(y_train.tolist())))
    lab.learning_curves_of(data_key, names, sizes, resamples, seed)


def missing_view(data_key: tuple, names: tuple[str, ...], seed: int = 0) -> None:
    """The Generative vs Discriminative page's Missing data tab."""
    from gen_core.labs import classifiers as lab
    lab.missing_features_of(data_key, names, seed)


COUNT_OF_16 = ((16, 16, "all 16"), (6, 15, "6 to 15"), (1, 5, "1 to 5"), (0, 0, "none"))
COUNT_OF_10 = ((10, 10, "all 10"), (6, 9, "6 to 9"), (3, 5, "3 to 5"), (0, 2, "2 or fewer"))
HITS_OF_8 = ((0, 2, "0 to 2"), (3, 5, "3 to 5"), (6, 8, "6 to 8"))

LESSONS = (
    Lesson("gan", "GANs: a forger and a detective", "Sampling, truncation, the adversarial game, mode collapse, "
           "mode dropping and the generator/discriminator imbalance, on shipped GANs and one you train live.", (
        Step("Samples from a trained GAN", GAN_PAGE, {GAN.MODEL: "gan-digits", GAN.TAB: "Samples",
                                                  GAN.TRUNCATION: 1.0},
             "Each tile is G(z) for a random noise vector z; the number under it is D's probability that the image "
             "is real. Press **New samples** a few times: G never copies a training image, it draws new ones."),
        Step("Truncation: quality against diversity", GAN_PAGE, {GAN.TAB: "Samples", GAN.TRUNCATION: 0.4},
             "ψ = 0.4 pulls every z towards the mean. Samples get cleaner and more alike: the caption's pixel spread "
             "falls. Turned down to 0, every tile is the same 'average' image."),
        Step("A smooth map from noise to images", GAN_PAGE, {GAN.TAB: "Interpolation", GAN.TRUNCATION: 1.0},
             "Walk a straight line between two noise vectors: every frame is a plausible digit. G learned a "
             "continuous map, not a table of training images."),
        Step("The adversarial game", GAN_PAGE, {GAN.TAB: "Training history"},
             "The two losses do not fall together: D and G take turns winning. D(x) on real images and D(G(z)) on "
             "fakes move towards each other; at the game's equilibrium both would be 1/2."),
        Step("Predict: mode collapse", GAN_PAGE, {GAN.TAB: "Training history"},
             "gan-digits-collapsed was trained with settings that let G collapse. It still draws sharp digits.",
             counted("Of the 10 digit classes, how many does gan-digits-collapsed draw (each at least half its fair "
                     "share, in 1,000 samples)?", COUNT_OF_10,
                     lambda core: measures.classes_drawn(core, "gan-digits-collapsed"),
                     {GAN.TAB: "Mode collapse", GAN.LEFT: "gan-digits", GAN.RIGHT: "gan-digits-collapsed"})),
        Step("Mode dropping", GAN_PAGE, {GAN.TAB: "Mode collapse", GAN.LEFT: "gan-digits",
                                    GAN.RIGHT: "gan-digits-collapsed"},
             "The histogram shows which digits the collapsed G never draws: those modes of the data are dropped. "
             "Its samples look fine one by one; only a measure over many samples shows what is missing."),
        Step("Predict: D far stronger than G", GAN_PAGE, {GAN.TAB: "Mode collapse"},
             "gan-digits-imbalanced's discriminator learned much faster than its generator.",
             counted("How many digit classes does its generator draw?", COUNT_OF_10,
                     lambda core: measures.classes_drawn(core, "gan-digits-imbalanced"),
                     {GAN.TAB: "Mode collapse", GAN.LEFT: "gan-digits", GAN.RIGHT: "gan-digits-imbalanced"})),
        Step("Why the imbalance stalls G", GAN_PAGE, {GAN.MODEL: "gan-digits-imbalanced", GAN.TAB: "Training history"},
             "D(x) on real images goes to 1 and D(G(z)) to 0: D wins outright. With D that sure, G's loss "
             "saturates and its gradient carries almost nothing, so G stops improving."),
        Step("Watch it happen live", PLAYGROUND_PAGE, {PLAYGROUND.DATA: "ring8", PLAYGROUND.FAMILIES: ["gan"],
                                                  PLAYGROUND.GAN_PRESET: "GAN: overtrained G (collapses)", PLAYGROUND.LOSS: None},
             "Press **Play**: a small GAN trains on eight Gaussian modes. Watch 'modes covered' in the table as G, "
             "taking five steps for each of D's, chases a few modes. Turn on slow motion to see one D step, then "
             "one G step."),
    )),
    Lesson("uses", "What generative models are for", "Generated data as training data, carrying a classifier to "
           "a new domain, how much data a GAN needs, what a discriminator learns without labels, and filling in "
           "missing pixels: each use of the syllabus, measured.", (
        Step("Predict: generated digits as training data", GAN_PAGE, {GAN.TAB: "Samples", GAN.MODEL: "cgan-digits"},
             "A classifier has only 10 real digits of each class. We add 100 digits per class drawn by cgan-digits, "
             "which learned from the same training set.",
             Predict("Tested on real digits, what do the generated ones do to its accuracy?",
                     ("it helps", "no clear change", "it hurts"),
                     lambda core: measures.synthetic_data_verdict(core, "cgan-digits"), lambda m: m["value"],
                     {GAN.TAB: "Synthetic data"})),
        Step("Predict: a new domain", GAN_PAGE, {GAN.TAB: "CycleGAN", GAN.CYCLE_MODEL: "cyclegan-digits-invert"},
             "A digit classifier reads inverted digits (white ink on black) at 0%: it never saw one. "
             "cyclegan-digits-invert learned to turn them back into digits without a single pair.",
             Predict("After the CycleGAN translates the inverted test digits, how many does the same classifier read "
                     "correctly?", tuple(label for label, *_ in measures.RECOVERED),
                     lambda core: measures.adaptation_recovery(core, "cyclegan-digits-invert"), lambda m: m["value"],
                     {GAN.TAB: "Domain adaptation", GAN.ADAPT_MODEL: "cyclegan-digits-invert"})),
        Step("Predict: a GAN on 100 digits", GAN_PAGE, {GAN.TAB: "Samples", GAN.MODEL: "dcgan-digits-100"},
             "dcgan-digits-100 is the same DCGAN, trained as long, on 100 training digits instead of 1,437.",
             Predict("How much worse is its Fréchet distance to the test digits (lower is better)?",
                     tuple(label for label, *_ in measures.SMALL_DATA),
                     lambda core: measures.small_data_cost(core, "dcgan-digits-100", "dcgan-digits"),
                     lambda m: m["value"], {GAN.TAB: "Dataset size"})),
        Step("Predict: what D learned", GAN_PAGE, {GAN.TAB: "Samples", GAN.MODEL: "dcgan-digits"},
             "The discriminator never saw a label, only real against generated. Its last hidden layer may still "
             "have learned what tells digits apart.",
             Predict("With only 5 labelled digits per class, which features does a linear classifier read best?",
                     ("raw pixels", "GAN discriminator", "VAE encoder (μ)"),
                     lambda core: measures.probe_winner(core, "dcgan-digits", "vae-digits"), lambda m: m["value"],
                     {GAN.TAB: "Features"})),
        Step("Filling in what is missing", VAE_PAGE, {VAE.TAB: "Impute & anomalies", VAE.MODEL: "vae-digits"},
             "Hide part of a test digit: the VAE fills it in from what is left, and the error against the hidden "
             "truth is measured under the pictures. The same model scores how unusual each image is."),
    )),
    Lesson("vae", "VAEs: a map of latent space", "The latent map, walks and traversals, posterior collapse, blurry "
           "reconstructions against blended samples, imputation and anomalies.", (
        Step("The latent map", VAE_PAGE, {VAE.MODEL: "vae-digits", VAE.TAB: "Map"},
             "Every test image is a dot at its code μ, coloured by its digit. The VAE never saw a label, yet the "
             "digits gather. Click a dot to see its reconstruction; click empty space to decode that place."),
        Step("Walking between two codes", VAE_PAGE, {VAE.TAB: "Walk", VAE.FRAMES: 10},
             "A straight line in latent space decodes to a smooth morph from A to B: the decoder is continuous, and "
             "most points between two digits still decode to something digit-like."),
        Step("One dimension at a time", VAE_PAGE, {VAE.TAB: "Traverse"},
             "Sliders are latent dimensions, the most used (highest KL) first. Turn one: the image changes. Turn "
             "one whose KL is about 0: nothing changes, the decoder ignores it."),
        Step("Predict: posterior collapse", VAE_PAGE, {VAE.TAB: "Traverse"},
             "vae-digits weighs the KL term with beta = 1. vae-digits-beta8 is the same network with beta = 8.",
             counted("Of vae-digits-beta8's 16 latent dimensions, how many stay active (carry information)?",
                     COUNT_OF_16,
                     lambda core: measures.active_dimensions(core, "vae-digits-beta8"),
                     {VAE.MODEL: "vae-digits-beta8", VAE.TAB: "Posterior collapse", VAE.COMPARE: "vae-digits"})),
        Step("What collapse looks like", VAE_PAGE, {VAE.MODEL: "vae-digits-beta8", VAE.TAB: "Posterior collapse",
                                               VAE.COMPARE: "vae-digits"},
             "Every bar of beta = 8 is at zero: the encoder tells the decoder nothing, and the decoder draws the "
             "same average blob whatever z is. The penalty for using z outweighed what z could explain."),
        Step("Predict: blurry reconstructions", VAE_PAGE, {VAE.MODEL: "vae-digits", VAE.TAB: "Map"},
             "vae-digits-lowkl was trained with a weak KL term, so its codes may spread out to describe each image.",
             Predict("Which reconstructs test digits more sharply (lower reconstruction error)?",
                     ("vae-digits (beta = 1)", "vae-digits-lowkl (weak KL)", "the same"),
                     lambda core: measures.sharper_reconstruction(core, ("vae-digits", "vae-digits-lowkl")),
                     lambda m: "vae-digits-lowkl (weak KL)" if m["value"] == "vae-digits-lowkl" else
                     "vae-digits (beta = 1)",
                     {VAE.MODEL: "vae-digits-lowkl", VAE.TAB: "Map"})),
        Step("Sharp codes, blended samples", VAE_PAGE, {VAE.MODEL: "vae-digits-lowkl", VAE.TAB: "Posterior collapse",
                                                   VAE.COMPARE: "vae-digits"},
             "The weak-KL model uses all its dimensions and reconstructs sharply, but its codes do not fill "
             "N(0, I): samples drawn from the prior land between the codes of real digits and decode to blends. "
             "Beta = 1's reconstructions are blurrier (the KL term limits what z can say), its samples more "
             "digit-like: the VAE's trade-off."),
        Step("Filling in and flagging", VAE_PAGE, {VAE.MODEL: "vae-digits", VAE.TAB: "Impute & anomalies"},
             "Hide half a digit: searching z to explain the visible pixels fills in the rest. Switch to anomalies: "
             "a letter or noise gets an ELBO far below every real test digit."),
    )),
    Lesson("diffusion", "Diffusion: noise in, noise out", "The forward process and its schedules, the reverse "
           "process, DDPM against DDIM, guidance, inpainting and the 2-D field.", (
        Step("Destroying an image", DIFFUSION_PAGE, {DIFFUSION.MODEL: "ddpm-digits", DIFFUSION.TAB: "Forward", DIFFUSION.FWD_T: 250},
             "x_t = sqrt(ᾱ_t) x_0 + sqrt(1 − ᾱ_t) ε: no learning, just shrinking and noise. The strip shows the "
             "whole road from t = 0 to T − 1 under each schedule, with the same ε."),
        Step("Predict: which schedule keeps more", DIFFUSION_PAGE, {DIFFUSION.TAB: "Forward", DIFFUSION.FWD_T: 250},
             "Two schedules spread the noise over the same T = 1000 steps.",
             Predict("At t = 500, which schedule keeps more of the original image?", ("linear", "cosine", "the same"),
                     lambda core: measures.signal_kept(1000, 500), lambda m: m["value"],
                     {DIFFUSION.TAB: "Forward", DIFFUSION.FWD_T: 500})),
        Step("Almost pure noise", DIFFUSION_PAGE, {DIFFUSION.TAB: "Forward", DIFFUSION.FWD_T: 900},
             f"At t = 900 the linear schedule keeps {measures.signal_kept(1000, 900)['kept']['linear']:.1%} of x_0 "
             "(the factor √ᾱ_t the Forward tab shows). The model's guess of x_0 (bottom) is now a "
             "blurry average: a very noisy input says little about which image it came from."),
        Step("Reverse: from noise to digits", DIFFUSION_PAGE, {DIFFUSION.TAB: "Reverse", DIFFUSION.SAMPLER: "ddim",
                                                          DIFFUSION.STEPS: 50},
             "Press **Run the reverse process** and play it back: the right-hand guess of x_0 settles the coarse "
             "shape in the first steps and the details last."),
        Step("Predict: DDPM against DDIM", DIFFUSION_PAGE, {DIFFUSION.TAB: "Reverse"},
             "DDPM samples with all 1000 steps; DDIM can jump through 50 of them.",
             Predict("How many times fewer network calls does DDIM with 50 steps make?", ("2x", "5x", "20x", "1000x"),
                     lambda core: measures.ddim_calls(1000, 50), lambda m: f"{m['value']}x",
                     {DIFFUSION.TAB: "Samplers", DIFFUSION.CMP_STEPS: 50, DIFFUSION.CMP_ETA: 0.0},
                     view=lambda core: samplers_view(core))),
        Step("Same noise, same picture", DIFFUSION_PAGE, {DIFFUSION.TAB: "Samplers", DIFFUSION.CMP_STEPS: 10,
                                                     DIFFUSION.CMP_ETA: 0.0},
             "With η = 0 DDIM is deterministic: even 10 steps from the same x_T give nearly the same digits as 50. "
             "The measured times follow steps × one network forward."),
        Step("Predict: classifier-free guidance", DIFFUSION_PAGE, {DIFFUSION.TAB: "Samplers"},
             "Ask the class-conditional model for the digit 7 with guidance scale s = 0, which ignores the class.",
             counted("Of 8 samples at s = 0, how many does a classifier trained on real digits read as 7?",
                     HITS_OF_8,
                     lambda core: measures.guided_hits(core, "ddpm-digits", 7, 0.0),
                     {DIFFUSION.TAB: "Guidance", DIFFUSION.GUIDE_LABEL: "7", DIFFUSION.GUIDE_SCALES: [0.0, 1.0, 3.0, 5.0],
                      DIFFUSION.GUIDE_N: 8, DIFFUSION.GUIDE_STEPS: diffusion_lab.GUIDANCE_STEPS, DIFFUSION.GUIDE_SEED: 0},
                     view=lambda core: guidance_view(core, 7, (0.0, 1.0, 3.0, 5.0)))),
        Step("Inpainting", DIFFUSION_PAGE, {DIFFUSION.TAB: "Inpainting"},
             "Hide the top half: only the hidden part is generated, the known pixels are put back at every step. "
             "Different noise, different plausible fills: sometimes a different digit."),
        Step("The field in 2-D", DIFFUSION_PAGE, {DIFFUSION.TAB: "2-D", DIFFUSION.TOY_T: 20},
             "At small t the arrows point to the nearest part of the data. Slide t up: they all point to the middle. "
             "DDPM's paths (grey) jitter, DDIM's are smooth."),
    )),
    Lesson("likelihood", "Likelihood: how probable is the data?", "Autoregressive models pixel by pixel (in raster "
           "order and in any order) and word by word, HMMs against a discriminative classifier, a flow's temperature, an energy model, and one table of "
           "likelihoods with the samples beside them.", (
        Step("One pixel at a time", LIKELIHOOD_PAGE, {LIKELIHOOD.TAB: "PixelCNN", LIKELIHOOD.PIX_MODEL: "pixelcnn-digits-binary",
                                                 LIKELIHOOD.PIX_SEED: 0},
             "Press Play: the PixelCNN draws a digit in raster order, and the bar shows the probability of ink it "
             "gave each pixel before the coin decided. Its likelihood is exact: the product, over the 64 pixels, of the "
             "probability of the value each one took."),
        Step("Predict: the blind spot", LIKELIHOOD_PAGE, {LIKELIHOOD.TAB: "PixelCNN", LIKELIHOOD.PIX_ROW: 4, LIKELIHOOD.PIX_COL: 4},
             "A stack of masked 3x3 convolutions widens what a pixel sees by one pixel per layer, but only through "
             "pixels above it or to its left.",
             counted("From pixel (4, 4), how many of the 36 earlier pixels can a plain stack of that depth never see?",
                     ((0, 0, "none"), (1, 5, "1 to 5"), (6, 36, "6 or more")),
                     lambda core: measures.blind_spot(core, "pixelcnn-digits-binary", 4, 4),
                     {LIKELIHOOD.TAB: "PixelCNN", LIKELIHOOD.PIX_ROW: 4, LIKELIHOOD.PIX_COL: 4})),
        Step("Predict: any order", LIKELIHOOD_PAGE, {LIKELIHOOD.TAB: "Any order (ARDM)",
                                                    LIKELIHOOD.ARDM_MODEL: "ardm-digits-binary", LIKELIHOOD.ARDM_SEED: 0},
             "Press Play: autoregressive diffusion draws the digit in a random order (middle: the order, pale first), "
             "PixelCNN row by row. One network has learned every one of the 64! orders at once.",
             Predict("On the same test digits, whose -log p is lower (better): the ARDM over random orders, or "
                     "PixelCNN in its one order?", tuple(label for label, *_ in measures.ORDER_COST),
                     lambda core: measures.order_cost(core, "ardm-digits-binary", "pixelcnn-digits-binary"),
                     lambda m: m["value"], {LIKELIHOOD.TAB: "Any order (ARDM)"})),
        Step("Temperature", LIKELIHOOD_PAGE, {LIKELIHOOD.TAB: "Text", LIKELIHOOD.TEXT_MODEL: "rnn-genesis", LIKELIHOOD.TEXT_TEMP: 0.2},
             "At T = 0.2 the character model repeats its safest phrases. Move the temperature to 1.5: spelling "
             "breaks, since every unlikely character now gets a real chance at every step."),
        Step("Predict: HMMs with few examples", LIKELIHOOD_PAGE, {LIKELIHOOD.TAB: "HMM", LIKELIHOOD.HMM_MODEL: "hmm-series"},
             "One HMM per class (generative) against logistic regression on the same series (discriminative).",
             Predict("Trained on only 3 series per class, which classifies the test series better?",
                     ("HMMs per class", "Logistic regression", "the same"),
                     lambda core: measures.few_series_winner("series", 3), lambda m: m["value"],
                     {LIKELIHOOD.TAB: "HMM", LIKELIHOOD.HMM_CURVE: True})),
        Step("A flow's temperature", LIKELIHOOD_PAGE, {LIKELIHOOD.TAB: "Glow", LIKELIHOOD.GLOW_MODEL: "glow-digits-binary"},
             "Each column keeps one z; each row scales it. A flow loses nothing between image and z: the round trip "
             "at the bottom comes back to rounding error."),
        Step("An energy, not a probability", LIKELIHOOD_PAGE, {LIKELIHOOD.TAB: "Energy model", LIKELIHOOD.EBM_MODEL: "ebm-digits"},
             "The chains walk downhill on E(x) from noise. E ranks images (real and generated low, noise high), but "
             "its normaliser is unknown, so it gives no likelihood to put in a table."),
        Step("Predict: the most probable", LIKELIHOOD_PAGE, {LIKELIHOOD.TAB: "Likelihood table"},
             "Exact numbers and bounds, all on the same binarised test digits.",
             Predict("Which kind of model gives the test digits the highest probability (the lowest number)?",
                    ("pixelcnn", "glow", "vae", "ddpm", "d3pm", "vdm", "ardm"),
                    lambda core: measures.most_likely_model(core, likelihood.DEFAULT_MODELS), lambda m: m["value"],
                    {LIKELIHOOD.TAB: "Likelihood table", LIKELIHOOD.TABLE_MODELS: None})),
    )),
    Lesson("gvd", "Generative vs discriminative, row by row", "Each row of the syllabus's table tested on real "
           "data: objective, generation, use cases, data needed, missing data, irrelevant features.", (
        Step("Objective: densities against boundaries", GVD_PAGE, {GVD.DATA: "moons", GVD.TAB: "Decision boundaries",
                                                              GVD.BOUND_N: 200},
             "Naive Bayes and QDA model each class's density and classify where the densities cross; logistic "
             "regression and the SVM fit the boundary itself. Compare their shapes on the two moons."),
        Step("Data generation", GVD_PAGE, {GVD.DATA: "digits", GVD.TAB: "Generation"},
             "The generative classifier draws new digits of each class (blurry: it is a simple Gaussian model). The "
             "discriminative model has nothing to sample from."),
        Step("Use case: anomaly detection", GVD_PAGE, {GVD.DATA: "digits", GVD.TAB: "Outliers",
                                                  GVD.OUT_KIND: "inverted images"},
             "Inverted digits are unlike any training image. log p(x) from the generative models separates them "
             "almost perfectly (AUROC near 1); logistic regression's confidence does not."),
        Step("Predict: who needs less data", GVD_PAGE, {GVD.DATA: "digits", GVD.TAB: "Outliers"},
             "On two correlated Gaussian classes (20 features), train naive Bayes and unpenalised logistic "
             "regression on random subsets of growing size.",
             Predict("With 49 training examples, which is more accurate on average?",
                     ("Naive Bayes", "Logistic regression (no penalty)"),
                     lambda core: measures.few_examples_winner(SYNTHETIC, 49, task=(20, 3.0, 0.8)),
                     lambda m: m["value"],
                     {GVD.DATA: SYNTHETIC, GVD.DIM: 20, GVD.SEP: 3.0, GVD.CORR: 0.8,
                      GVD.TAB: "Learning curves"},
                     view=lambda core: curves_view((SYNTHETIC, 20, 3.0, 0.8),
                                                   ("Naive Bayes", "Logistic regression (no penalty)")))),
        Step("The crossover", GVD_PAGE, {GVD.DATA: SYNTHETIC, GVD.DIM: 20, GVD.SEP: 3.0, GVD.CORR: 0.8,
                                    GVD.TAB: "Learning curves"},
             "Naive Bayes plateaus early; logistic regression starts lower, overtakes it and ends higher, because "
             "naive Bayes's independence assumption is wrong for correlated features. Set the correlation to 0 and "
             "the crossover moves far to the right."),
        Step("Predict: missing data", GVD_PAGE, {GVD.DATA: "digits", GVD.TAB: "Generation"},
             "Hide half of the pixels of every test digit, after training on complete digits.",
             Predict("Which keeps more of its accuracy?", ("LDA (generative)", "Logistic regression"),
                     lambda core: measures.missing_winner("digits"),
                     lambda m: "LDA (generative)" if m["value"] == "LDA" else "Logistic regression",
                     {GVD.DATA: "digits", GVD.TAB: "Missing data"},
                     view=lambda core: missing_view(("digits", None, None, None),
                                                    ("Naive Bayes", "LDA", "Logistic regression", "Random forest")))),
        Step("Irrelevant features", GVD_PAGE, {GVD.DATA: "digits", GVD.TAB: "Irrelevant features", GVD.IRR_N: 200},
             "Add pure noise features: LDA, estimating a covariance over every feature, falls furthest; logistic "
             "regression and the forest lose little. Naive Bayes stays flat: how sensitive a generative model is "
             "depends on how much it must estimate per feature."),
        Step("Few points, many parameters", GVD_PAGE, {GVD.DATA: "moons", GVD.TAB: "Decision boundaries",
                                                  GVD.BOUND_N: 20},
             "With 20 points the flexible models' boundaries are guesses; with 4000 they are sharp. Model "
             "complexity is paid for in data."),
    )),
)
BY_KEY = {lesson.key: lesson for lesson in LESSONS}


# --- running a lesson -------------------------------------------------------------------------------------------

def apply(state: dict) -> None:
    """Put widget values into Session State (None forgets a key): the widgets pick them up when they are drawn."""
    for key, value in state.items():
        if value is None:
            st.session_state.pop(key, None)
        else:
            st.session_state[key] = value


def state_at(key: str, index: int) -> dict:
    """The page state at step `index`: every step's state up to it, later ones winning. A link to a step, a student
    following the teacher and one who walked there with Next all see the same (the model step 1 chose, say)."""
    state = {}
    for step in BY_KEY[key].steps[:index + 1]:
        state.update(step.state)
    return state


def open_step(key: str, index: int) -> None:
    """Callback: go to step `index` of lesson `key` (its page is switched to by `panel`)."""
    step = BY_KEY[key].steps[index]
    st.session_state.update(lesson=key, lesson_step=index, lesson_goto=step.page)
    apply(state_at(key, index))


def reveal(key: str, index: int) -> None:
    step = BY_KEY[key].steps[index]
    st.session_state[f"lesson_revealed_{key}_{index}"] = True
    apply(step.predict.reveal)


def end_lesson() -> None:
    for name in ("lesson", "lesson_step", "lesson_goto"):
        st.session_state.pop(name, None)


ANSWERS_FILE = ASSETS / "lessons" / "answers.json"


def json_number(value):
    """json.dumps' default for numpy numbers in a measurement."""
    return value.item() if hasattr(value, "item") else str(value)


@functools.cache
def shipped_answers() -> dict:
    """Every prediction's answer, measured once on the shipped models on the CPU (bench/lesson_answers.py --ship):
    a reveal reads it instead of measuring while a class waits (the learning-curve answer takes minutes)."""
    try:
        return json.loads(ANSWERS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


@st.cache_data(show_spinner="Measuring on the shipped models...", max_entries=64)
def measured(key: str, index: int, device: str) -> dict:
    """The step's measured answer: the shipped one, else measured now (a step added since the answers were
    shipped) and kept for the process."""
    shipped = shipped_answers().get(f"{key}/{index}")
    if shipped is not None:
        return shipped
    found = BY_KEY[key].steps[index].predict.measure(core_on(device))
    return {"value": found["value"], "text": found["text"]}


def adopt_from_url() -> None:
    """A link's ?lesson=KEY&step=N, on a session's first run: open that step."""
    if st.session_state.get("lesson_adopted"):
        return
    st.session_state["lesson_adopted"] = True
    key, raw = links.read("lesson"), links.read("step")
    if key is None:
        return
    lesson = BY_KEY.get(key)
    try:
        index = int(raw or 1) - 1
        if lesson is None or not 0 <= index < len(lesson.steps):
            raise ValueError
    except ValueError:
        st.session_state["lesson_url_problem"] = (key, raw)
        return
    open_step(key, index)


def url_path(page: str) -> str:
    from ui.registry import PAGES
    return next(p.url_path for p in PAGES if p.path == page)


def panel(current_url_path: str) -> None:
    """Above the page while a lesson runs: its step, what to look at, the prediction, and Back / Next. Switches to
    the step's page when a button asked for it."""
    adopt_from_url()
    goto = st.session_state.pop("lesson_goto", None)
    if goto and url_path(goto) != current_url_path:
        # with the lesson's place as the new page's only parameters: switch_page's default, clearing them all,
        # is refused while widgets are bound to the URL (the step's widget values travel in Session State)
        st.switch_page(goto, query_params={"lesson": st.session_state["lesson"],
                                           "step": str(st.session_state["lesson_step"] + 1)})
    if "lesson_url_problem" in st.session_state:
        from ui.text import plain
        key, raw = st.session_state.pop("lesson_url_problem")
        st.warning(f"Ignored lesson={plain(repr(str(key)[:40]))}, step={plain(repr(str(raw)[:20]))} from the link: "
                   f"no such lesson step. Lessons: {', '.join(BY_KEY)}.")
    key = st.session_state.get("lesson")
    if key not in BY_KEY:
        links.write("lesson", None)
        links.write("step", None)
        return
    lesson, index = BY_KEY[key], int(st.session_state.get("lesson_step", 0))
    step = lesson.steps[index]
    links.write("lesson", key)
    links.write("step", str(index + 1))
    with st.container(border=True, key="lesson_panel"):
        st.markdown(f"**Lesson: {lesson.title}** · step {index + 1} of {len(lesson.steps)}: **{step.title}**")
        st.markdown(step.look)
        if step.predict is not None:
            ask(key, index, step.predict)
        if url_path(step.page) != current_url_path:
            st.caption("This step is on another page: press Next or Back to go there.")
        c = st.columns([2, 2, 3, 5])  # wide enough for "End lesson" at projector sizes
        c[0].button("Back", icon=":material/arrow_back:", disabled=index == 0, key="lesson_back",
                    on_click=open_step, args=(key, index - 1))
        if index + 1 < len(lesson.steps):
            c[1].button("Next", icon=":material/arrow_forward:", type="primary", key="lesson_next",
                        on_click=open_step, args=(key, index + 1))
        c[2].button("End lesson", icon=":material/close:", key="lesson_end", on_click=end_lesson)


# --- a class following the teacher (gen_core.classroom) ---------------------------------------------------------

def page_of(url: str) -> str | None:
    from ui.registry import PAGES
    return next((p.path for p in PAGES if p.url_path == url), None)


def revealed(key: str, index: int) -> bool:
    return bool(st.session_state.get(f"lesson_revealed_{key}_{index}"))


def sync_with_class(current_url_path: str) -> None:
    """Call before the lesson panel. The leading teacher publishes where they are; a follower moves to the
    teacher's place when it changed since they last looked (so between steps they may look around)."""
    if classroom.leading():
        key = st.session_state.get("lesson")
        if key in BY_KEY:
            index = int(st.session_state.get("lesson_step", 0))
            Classroom().publish(url_path(BY_KEY[key].steps[index].page), key, index, revealed(key, index))
        else:
            Classroom().publish(current_url_path, None, None, False)
        return
    if not classroom.following():
        return
    lead = Classroom().lead()
    seq = lead.seq if lead else None
    if seq == st.session_state.get(classroom.SEEN_STATE):
        return
    st.session_state[classroom.SEEN_STATE] = seq  # the lead this page shows: the browser's watch waits for the next
    if lead is None:  # the class ended
        return
    if lead.lesson in BY_KEY and 0 <= (lead.step or 0) < len(BY_KEY[lead.lesson].steps):
        if (st.session_state.get("lesson"), st.session_state.get("lesson_step")) != (lead.lesson, lead.step):
            open_step(lead.lesson, lead.step)
        if lead.revealed and not revealed(lead.lesson, lead.step):
            reveal(lead.lesson, lead.step)
        return
    if st.session_state.get("lesson") in BY_KEY:
        end_lesson()
    page = page_of(lead.page)
    if page and lead.page != current_url_path:
        # {}: the new page's own parameters only (the default, None, is refused while widgets are bound to the URL);
        # the Follow box puts its own back
        st.switch_page(page, query_params={})


def class_step(key: str, index: int) -> bool:
    """Is the teacher leading the class through this very step (its guesses are the class's)?"""
    lead = Classroom().lead()
    return lead is not None and (lead.lesson, lead.step) == (key, index) and (classroom.leading()
                                                                             or classroom.following())


def _record_guess(key: str, index: int) -> None:
    Classroom().guess(key, index, classroom.visitor(), st.session_state.get(f"lesson_guess_{key}_{index}"))


def _teacher_reveals(key: str, index: int) -> None:
    reveal(key, index)
    lead = Classroom().lead()
    Classroom().publish(lead.page if lead else url_path(BY_KEY[key].steps[index].page), key, index, True)


@st.fragment(run_every=1.0)
def tally_chart(key: str, index: int, predict: Predict) -> None:
    """The class's guesses so far, one bar per choice (redrawn every second while the teacher waits)."""
    tally = Classroom().tally(key, index)
    st.markdown(f"**The class's guesses:** {sum(tally.values())} answered")
    st.altair_chart(bars(list(predict.choices), [tally.get(c, 0) for c in predict.choices], "guess", "students"))


def ask(key: str, index: int, predict: Predict) -> None:
    """Predict, then reveal: the guess first, then the measured value beside it (and the page shows the answer).
    In a class the teacher leads, every follower's guess is counted and the teacher reveals for everyone."""
    in_class = class_step(key, index)
    shown = revealed(key, index)
    guess_key = f"lesson_guess_{key}_{index}"
    guess = st.radio(f"**Predict:** {predict.ask}", predict.choices, index=None, key=guess_key, horizontal=True,
                     disabled=shown, on_change=_record_guess if in_class and not classroom.is_teacher() else None,
                     args=(key, index))  # locked once revealed: a guess made after the answer is no prediction
    if not shown:
        if in_class and classroom.is_teacher():
            tally_chart(key, index, predict)
            st.button("Reveal to the class", icon=":material/visibility:", key=f"lesson_reveal_{key}_{index}",
                      on_click=_teacher_reveals, args=(key, index), type="primary")
        elif in_class:
            st.caption("Your guess counts in the class's tally. The teacher reveals the answer to everyone.")
        else:
            st.button("Reveal", icon=":material/visibility:", key=f"lesson_reveal_{key}_{index}",
                      disabled=guess is None, on_click=reveal, args=(key, index), help="Make a guess first")
        return
    found = measured(key, index, str(get_core().device))
    right = predict.answer(found)
    if in_class:
        tally_chart(key, index, predict)
    if guess is None:
        st.info(f"The answer is **{right}**. Measured: {found['text']}.", icon=":material/science:")
    elif guess == right:
        st.success(f"Your guess: **{guess}**, right. Measured: {found['text']}.", icon=":material/science:")
    else:
        st.warning(f"Your guess: **{guess}**; the answer is **{right}**. Measured: {found['text']}.",
                   icon=":material/science:")
