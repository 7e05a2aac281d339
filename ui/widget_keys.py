"""The widget keys that guided lessons set, one class per page. Pages draw those widgets with these names and
lessons (ui/lessons.py) refer to them the same way, so renaming a widget is one change here, and a page that
stops using a name fails tests/unit/test_widget_keys.py instead of breaking a lesson silently."""


class GAN:
    """GAN Studio (app_pages/gan_studio)."""
    ADAPT_MODEL = "gan_adapt_model"
    CYCLE_MODEL = "cyc_model"
    LEFT = "gan_left"
    MODEL = "gan_model"
    RIGHT = "gan_right"
    TAB = "gan_tab"
    TRUNCATION = "gan_truncation"


class VAE:
    """VAE Latent Explorer (app_pages/vae_explorer)."""
    COMPARE = "vae_compare"
    FRAMES = "vae_frames"
    MODEL = "vae_model"
    TAB = "vae_tab"


class DIFFUSION:
    """Diffusion Theater (app_pages/diffusion_theater)."""
    CMP_ETA = "diff_cmp_eta"
    CMP_STEPS = "diff_cmp_steps"
    FWD_T = "diff_fwd_t"
    GUIDE_LABEL = "diff_guide_label"
    GUIDE_N = "diff_guide_n"
    GUIDE_SCALES = "diff_guide_scales"
    GUIDE_SEED = "diff_guide_seed"
    GUIDE_STEPS = "diff_guide_steps"
    MODEL = "diff_model"
    SAMPLER = "diff_sampler"
    STEPS = "diff_steps"
    TAB = "diff_tab"
    TOY_T = "diff_toy_t"


class LIKELIHOOD:
    """Likelihood Lab (app_pages/likelihood_lab)."""
    ARDM_MODEL = "ll_ardm_model"
    ARDM_SEED = "ll_ardm_seed"
    EBM_MODEL = "ll_ebm_model"
    GLOW_MODEL = "ll_glow_model"
    HMM_CURVE = "ll_hmm_curve"
    HMM_MODEL = "ll_hmm_model"
    PIX_COL = "ll_pix_col"
    PIX_MODEL = "ll_pix_model"
    PIX_ROW = "ll_pix_row"
    PIX_SEED = "ll_pix_seed"
    TAB = "ll_tab"
    TABLE_MODELS = "ll_table_models"
    TEXT_MODEL = "ll_text_model"
    TEXT_TEMP = "ll_text_temp"


class GVD:
    """Generative vs Discriminative (app_pages/gen_vs_disc)."""
    BOUND_N = "gvd_bound_n"
    CORR = "gvd_corr"
    DATA = "gvd_data"
    DIM = "gvd_dim"
    IRR_N = "gvd_irr_n"
    OUT_KIND = "gvd_out_kind"
    SEP = "gvd_sep"
    TAB = "gvd_tab"


class PLAYGROUND:
    """2-D Playground (app_pages/playground/page.py)."""
    DATA = "pg_data"
    FAMILIES = "pg_families"
    GAN_PRESET = "pg_gan_preset"
    LOSS = "pg_loss"
