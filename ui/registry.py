"""Which pages exist, in sidebar order, and which page shows each model family.

A page is listed here only once it works: the home page's atlas links a family to its page through
FAMILY_PAGES, and says "no page yet" for a family that has none.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageEntry:
    path: str        # relative to app.py; pages live in app_pages/ (a pages/ folder switches on legacy routing)
    title: str
    icon: str
    url_path: str
    default: bool = False


PAGES = [
    PageEntry("app_pages/home.py", "Home", ":material/home:", "home", default=True),
    PageEntry("app_pages/gan_studio/page.py", "GAN Studio", ":material/swords:", "gan_studio"),
    PageEntry("app_pages/vae_explorer/page.py", "VAE Latent Explorer", ":material/scatter_plot:", "vae_explorer"),
    PageEntry("app_pages/diffusion_theater/page.py", "Diffusion Theater", ":material/blur_on:", "diffusion_theater"),
    PageEntry("app_pages/gen_vs_disc/page.py", "Generative vs Discriminative", ":material/compare:", "gen_vs_disc"),
    PageEntry("app_pages/playground/page.py", "2-D Playground", ":material/grain:", "playground"),
    PageEntry("app_pages/likelihood_lab/page.py", "Likelihood Lab", ":material/functions:", "likelihood_lab"),
    PageEntry("app_pages/embeddings.py", "Your embeddings", ":material/hub:", "embeddings"),
    PageEntry("app_pages/train.py", "Train", ":material/model_training:", "train"),
    PageEntry("app_pages/evaluate.py", "Evaluate", ":material/leaderboard:", "evaluate"),
]

# family key (as in ui.atlas.FAMILIES) -> page path
FAMILY_PAGES: dict[str, str] = {
    "gan": "app_pages/gan_studio/page.py",
    "vae": "app_pages/vae_explorer/page.py",
    "diffusion": "app_pages/diffusion_theater/page.py",
    "flow": "app_pages/playground/page.py",
    "ebm": "app_pages/playground/page.py",
    "autoregressive": "app_pages/likelihood_lab/page.py",
    "hmm": "app_pages/likelihood_lab/page.py",
}
