"""'What to notice': for every tab, two to four sentences that point at the syllabus's claim the tab makes visible,
folded under one click so the page stays the learner's. The guided lessons (ui/lessons.py) walk through the same
points in order."""
from __future__ import annotations

import streamlit as st

NOTICE: dict[tuple[str, str], str] = {
    # --- GAN Studio ---------------------------------------------------------------------------------------------
    ("gan", "Samples"): "Under each tile is D's probability that the image is real. A trained GAN sits near the "
        "equilibrium where D cannot tell (around 0.5), not at 1. Lower the truncation ψ: samples get cleaner and more "
        "alike (the pixel spread in the caption falls), the quality-for-diversity trade behind truncated sampling.",
    ("gan", "Interpolation"): "G maps a straight line in z to a smooth path of images: every frame is a plausible "
        "garment or digit, because G learned a continuous map from noise to data, not a lookup of training images. The chart "
        "follows D(x) along the path.",
    ("gan", "Training history"): "Two networks train against each other, so neither loss falls steadily like a "
        "classifier's. D(x) on real and D(G(z)) on fakes approach each other (the equilibrium is 1/2). Pick "
        "gan-digits-imbalanced: D wins outright (D(real) = 1, D(fake) = 0), G gets no useful gradient and its "
        "samples stop improving: the generator/discriminator imbalance.",
    ("gan", "Mode collapse"): "A classifier trained on real digits names 1000 samples of each model. The healthy GAN "
        "covers all ten classes; gan-digits-collapsed draws mostly one or two digits, with a high KL from uniform: "
        "mode collapse, and mode dropping for the classes it never draws. Its samples can still look sharp, which "
        "is why judging a GAN by eye fails.",
    ("gan", "CycleGAN"): "With no paired examples, CycleGAN learns G: A → B and F: B → A, held together by the cycle "
        "loss F(G(a)) ≈ a. Compare the inversion translator (G(a) matches the true answer and the digit's class is "
        "kept) with rotation by 90°: the cycle closes, yet G(a) need not be the rotation, since cycle consistency "
        "does not fix which mapping is learned.",
    ("gan", "Style mixing"): "Each cell takes the coarse styles (the lowest resolution's layers) from its row's "
        "source and the fine styles from its column's. Read across a row: the digit stays the row's, while stroke "
        "weight and small details follow the columns. The metric counts it over 1000 pairs. The noise inputs change "
        "only where an edge falls: stochastic detail that no style controls.",
    ("gan", "Self-attention"): "Convolutions only see neighbours; the attention layer lets each position gather "
        "features from anywhere in the image, with weights that sum to one. Put the pixel on a shape's edge: its "
        "orange map follows the shape's other parts, far outside a 3x3 window, and its entropy stays well below the "
        "uniform log N.",
    ("gan", "Truncation trade-off"): "Shrinking the truncation threshold moves up and to the left on the curve: "
        "samples become more typical (precision and the classifier's agreement rise) and less varied (recall and "
        "the spread within a class fall). No threshold wins both; you choose the trade. The table compares the "
        "same model trained for the same number of steps with a batch of 8 and of 64.",
    # --- VAE Latent Explorer ------------------------------------------------------------------------------------
    ("vae", "Map"): "Each dot is a test image at its code μ. Same classes gather (shirts by shirts, 3s by 3s) "
        "although the VAE never saw a label: the latent space organises itself. Click empty space between clusters: the decoder still produces an image, "
        "often a blend, and the distance to the nearest real point says how far it extrapolates.",
    ("vae", "Walk"): "A straight line in latent space decodes to a smooth morph from A to B. Compare 'linear' with "
        "'spherical' paths: in a high-dimensional Gaussian most mass lies near a sphere, so the linear midpoint can "
        "fade towards a blurry average.",
    ("vae", "Traverse"): "Sliders are latent dimensions, most informative (highest KL) first. Turning one changes the "
        "image in one way; turning a dimension whose KL is about 0 changes nothing: the model does not use it. "
        "Dimensions are rarely one clean attribute each: interpreting them is hard.",
    ("vae", "Posterior collapse"): "Bars are the mean KL of each latent dimension. With beta = 8 every dimension's "
        "KL is about 0: the encoder says nothing about x, the decoder ignores z and draws one average image: "
        "posterior collapse. The weak-KL model (vae-digits-lowkl) uses all 16 dimensions and reconstructs sharply, "
        "but its codes do not fill N(0, I), so samples from the prior come out as blends.",
    ("vae", "Impute & anomalies"): "Hide half an image: optimising z to explain the visible pixels fills in the rest, "
        "data imputation from a model of p(x). The ELBO also scores how typical an input is: noise or an "
        "inverted image score far below real test images, which is anomaly detection from a generative model.",
    # --- Diffusion Theater --------------------------------------------------------------------------------------
    ("diffusion", "Forward"): "The forward process has no learning in it: x_t is the image shrunk by sqrt(ᾱ_t) plus "
        "noise. At the same t the cosine schedule keeps far more signal than the linear one (compare the "
        "coefficients at t = 500). The model's guess of x_0 is sharp at small t and a blurry average at large t.",
    ("diffusion", "Reverse"): "Press Run and watch the right-hand guess of x_0: the coarse shape of each sample is "
        "decided in the first steps, details in the last. Every step is one network call, so 1000 DDPM steps take "
        "1000 calls: slow sampling is diffusion's price for stable, likelihood-based training.",
    ("diffusion", "Samplers"): "From the same noise, DDIM with 50 steps (20x fewer network calls) gives nearly the "
        "same images as DDPM's 1000, and the measured time follows steps × one forward. Raise η to 1 and DDIM "
        "becomes stochastic like DDPM: the same x_T can end as a different garment or digit.",
    ("diffusion", "Guidance"): "Scale s = 0 ignores the class, so few samples are the class asked for. s = 1 is the "
        "plain conditional model; s = 3 or more hits the class nearly every time. Meanwhile the diversity bar falls: "
        "guidance trades variety for fidelity.",
    ("diffusion", "Inpainting"): "Only the hidden part is generated: the known pixels are put back at every step. "
        "Different noise gives different, equally plausible fills, and the classifier under each fill shows they "
        "can even be different digits: the model fills in a distribution, not one answer.",
    ("diffusion", "Denoising"): "Compare the three errors: the noisy image's, the one-step guess x0_hat's and the "
        "full run's. The one-step guess is the model's average answer, so it has the lowest squared error but looks "
        "blurry; the run from t commits to one sharp image. Raise sigma: t moves up, and the result keeps less of "
        "the original and more of what the model learned its training images look like.",
    ("diffusion", "2-D"): "Move t: at small t the arrows point to the nearest part of the data; at large t they all "
        "point towards the middle, because a very noisy point says little about where it came from. DDPM paths "
        "jitter (fresh noise every step); DDIM's are smooth curves from the same starts.",
    ("diffusion", "Latent diffusion"): "The same idea in a VAE's 16-d latent space: each step costs a fraction of a "
        "pixel-space step. Sampling the weak-KL VAE's prior gives blends (its codes do not fill N(0, I)); diffusion "
        "learned where the codes really lie, so its decoded samples are cleaner and cover the digits more evenly.",
    # --- Generative vs Discriminative ---------------------------------------------------------------------------
    ("gvd", "Decision boundaries"): "Generative classifiers model p(x | y) and get boundaries where the class "
        "densities cross: naive Bayes's are axis-aligned, QDA's are curves. Discriminative models fit the boundary "
        "itself. Move 'Training points' from 20 to 4000: the boundaries of the flexible models change most, and "
        "with few points a model with more to estimate (QDA) cannot even be fitted.",
    ("gvd", "Learning curves"): "Ng and Jordan's result: the generative model (solid) reaches its plateau with "
        "few examples, the discriminative one (dashed) needs more but plateaus higher when the generative "
        "assumption is wrong, so the curves cross. On the synthetic task, raise the feature correlation and the "
        "crossover comes earlier.",
    ("gvd", "Missing data"): "Hide features at test time. A Gaussian generative model integrates them out and "
        "degrades gently; logistic regression must be fed a guess (the training mean) and falls faster. On digits "
        "with half the pixels hidden, LDA stays well ahead of logistic regression.",
    ("gvd", "Irrelevant features"): "Add pure-noise features. LDA, which estimates a covariance over every feature "
        "from the same few examples, falls furthest; logistic regression and the forest lose a little. Naive Bayes "
        "stays flat here: 'sensitive to irrelevant features' depends on how much a model must estimate per feature.",
    ("gvd", "Generation"): "A generative classifier is a model of the data, so it can draw new examples of each class "
        "(blurry ones for simple Gaussians). The discriminative model has nothing to sample: it only knows where the "
        "boundaries are.",
    ("gvd", "Outliers"): "log p(x) from a generative model flags inputs unlike the training data (AUROC near 1); a "
        "discriminative model's confidence often does not, and can be highest on inputs far from any data. Anomaly "
        "detection is a generative use case.",
    # --- 2-D Playground -----------------------------------------------------------------------------------------
    ("playground", "page"): "Every family trains on the same points at once, so their failures can be compared. "
        "On ring8, watch 'modes covered' and 'high quality' in the table: the VAE's samples blur between the modes, "
        "and the GAN preset 'overtrained G (collapses)' loses modes as it trains. Turn on slow motion to see one D "
        "step reshape D(x), then one G step move the samples towards where D says 'real'.",
    ("diffusion", "Super-resolution"): "Every upscale shrinks back to the same blocky input, yet they differ from "
        "each other: the detail the low-resolution image leaves open is drawn, not averaged. Bilinear "
        "interpolation only blurs the blocks; over 256 test digits its squared error is 0.215 against 0.058 for "
        "the diffusion upscales, because the model knows what digits look like.",
    ("diffusion", "Discrete"): "No Gaussian noise anywhere: absorbing diffusion masks pixels, and the reverse process "
        "unmasks them, committing to ink or blank one pixel at a time in a random order. The right panel is the "
        "model's belief about the clean digit: grey (unsure) everywhere at first, then sharpening as pixels appear. "
        "Its bound is a true bound on the binary digits' probability, comparable with the PixelCNN's.",
    ("diffusion", "Variational"): "The learned curve starts near log SNR 2 where the fixed ones start near 10: "
        "pixels that are only ink or blank need no nearly-clean steps, so the learned schedule spends none there. "
        "Its bound on the same binary digits is about 8 nats below the fixed-schedule DDPM's, largely because its "
        "end points and its decoder were trained for the bound, not for sample quality.",
    # --- Likelihood Lab -----------------------------------------------------------------------------------------
    ("likelihood", "PixelCNN"): "Watch the probability bar: on blank margins the model is nearly sure (p near 0), "
        "and its doubt concentrates on the stroke's edges, where the digit's identity is still open. Drawing is "
        "slow because each pixel needs its own forward pass: 64 here, 784 for MNIST, millions for a photo.",
    ("likelihood", "Any order (ARDM)"): "Watch the order map fill: the first pixels are scattered over the whole "
        "image, yet the digit still comes out whole, because every step sees everything drawn so far. Compare the "
        "order's cost in the table (a fraction of a nat per digit) with what drawing 16 pixels per call costs in "
        "the judged samples: pixels drawn together cannot agree with each other.",
    ("likelihood", "Text"): "The model has only ever seen Genesis, so its continuations sound like it. Lower the "
        "temperature: the same few high-probability phrases repeat. Raise it: spelling breaks down, because rare "
        "characters get a real chance at every step and one bad draw derails what follows (errors compound).",
    ("likelihood", "Series"): "The fan widens with the horizon: each step's uncertainty feeds into the next. For "
        "the noisy sines the model has learned the period and the fan keeps the wave; for the random walk (ar1) "
        "the band grows towards the process's own spread.",
    ("likelihood", "HMM"): "The Viterbi colours follow the switching series' two levels almost perfectly: that "
        "series is an HMM. On a sine the states cut the wave into bands of values, which is all a Markov chain "
        "over a few states with independent noise can say about it.",
    ("likelihood", "Glow"): "At T = 0 every column gives the same image, the mode of the prior; as T grows the "
        "samples spread out and get noisier. The round trip shows the flow's defining property: z holds everything "
        "about the image, and the inverse recovers it to rounding error.",
    ("likelihood", "Energy model"): "Chains start as noise and become digit-like strokes in a few dozen steps: the "
        "sampler is gradient descent on the energy. The histogram separates noise from data clearly, but the "
        "energies of real and generated images overlap: training pushes them together, which is the point of "
        "contrastive divergence.",
    ("likelihood", "Likelihood table"): "Exact models and bounds can be compared only because all score the same "
        "binary pictures. The importance-weighted bound sits below the ELBO: the VAE's ELBO understated how good it "
        "is, and with 64 samples its bound even passes the PixelCNN's exact number (a PixelCNN overfits 1,437 "
        "training digits). Now look at the samples: the best number need not come with the best-looking samples.",
}


def notice(page: str, tab: str) -> None:
    """The tab's 'What to notice', folded (one click opens it)."""
    text = NOTICE.get((page, tab))
    if text:
        with st.expander("What to notice", icon=":material/visibility:"):
            st.markdown(text)
