"""Per-page tensor work: what each page computes, as plain functions of models and arrays (no Streamlit).

One module per page: `gan` (GAN Studio), `diffusion` (Diffusion Theater), `likelihood` and `sequences`
(Likelihood Lab), `classifiers` (Generative vs Discriminative), `playground` (2-D Playground). Pages call them
through `ui.lab_cache.lab_call`, which caches a result on the function and its plain inputs.
"""
