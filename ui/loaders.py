"""Cached loaders: one inference core per device for the whole server process, datasets once, and small
derived data per input."""
from __future__ import annotations

import streamlit as st

from gen_core import checkpoints
from gen_core.core import InferenceCore
from gen_core.data import Dataset, load_card_dataset
from gen_core.errors import GenLabError
from ui.text import plain


# What a page or tab opens on a first visit: Fashion-MNIST models, people's own clothes at 28x28 rather than 8x8
# digits, wherever they are installed; the others stay one pick away. Keyed like ui/warmup.PICKER_FAMILIES. Not
# StyleGAN: GAN Studio's Style mixing tab shows that the coarse layers decide the class, which stylegan-digits
# does (its class follows the coarse source in 94% of mixes) and stylegan-fashion barely (39%, 14% the fine one).
PREFERRED = {"vae": ("vae-fashion",), "gan": ("cgan-fashion", "dcgan-fashion"), "ddpm": ("ddpm-fashion",),
             "ldm": ("ldm-fashion",), "glow": ("glow-fashion",)}


def first_choice(names: list[str], *families: str) -> str | None:
    """The name a picker of `families` starts on: their preferred model when listed, else the first listed."""
    preferred = (n for family in families for n in PREFERRED.get(family, ()) if n in names)
    return next(preferred, names[0] if names else None)


@st.cache_resource(show_spinner=False)
def core_on(device_name: str) -> InferenceCore:
    """The one inference core for a device, shared by every session of this server process."""
    return InferenceCore(device_name)


def get_core() -> InferenceCore:
    """The shared inference core for the device chosen in the sidebar (models load once per process)."""
    from ui.settings import current_device
    return core_on(str(current_device()))


@st.cache_resource(show_spinner=False)
def _dataset(name: str) -> Dataset:
    return load_card_dataset(name)


def get_dataset(name: str) -> Dataset:
    """A dataset a page or a checkpoint card names, loaded once per process (image folders only from the data
    folders the server allows: see gen_core.data.load_card_dataset). Shared: never modify its tensors. One it
    cannot load (refused, missing, damaged) is said in one line and stops the page, or the fragment it is in."""
    try:
        return _dataset(name)
    except GenLabError as error:
        st.error(plain(error))
        st.stop()


@st.cache_data(ttl=30, show_spinner=False)
def checkpoint_listing() -> list[dict]:
    """Every checkpoint found, shipped and user's, as plain dicts (re-read at most every 30 s). The cards come
    without their training histories: st.cache_data unpickles a fresh copy for every call, and with the histories
    that was 8.8 MB and 1.1 million Python objects per page run, which under thirty sessions at once took the server
    1.9 GB of small-object memory that it never gave back (bench/load.py). A page that shows a history reads it from
    the loaded model's card."""
    return [{"name": i.name, "path": str(i.path), "source": i.source, "card": i.card}
            for i in checkpoints.list_checkpoints(history=False)]


def checkpoints_of(*families: str) -> list[dict]:
    """Readable checkpoints of the given families, shipped first."""
    return [c for c in checkpoint_listing() if c["card"].get("family") in families]


def describe_checkpoint(entry: dict) -> str:
    """A selectbox label: name, family and dataset."""
    card = entry["card"]
    data = card["dataset"].get("name", "?")
    if data.startswith("folder"):  # the folder's own name says which; its full path would fill the list
        data = data.split(":", 1)[0] + ":" + data.rstrip("/").rsplit("/", 1)[-1]
    facts = [f"{card['family']} on {data}"] + \
        ([card["config"]["loss"]] if "loss" in card["config"] else [])
    return f"{entry['name']}  ({', '.join(facts)})"


def choose_checkpoint(families: tuple[str, ...] | str, key: str, label: str, train_hint: str, *,
                      accept=None, default: str | None = None, where=None) -> str | None:
    """A tab's model picker, the one preamble every tab shares: a selectbox (bound to the URL) over the
    checkpoints of `families` that `accept(card)` admits, or, when there is none, one line saying how to train one
    and None (the tab then returns). `default` is picked first when listed (else the family's PREFERRED model, else
    the first); `where` is a column to draw in."""
    families = (families,) if isinstance(families, str) else families
    models = {c["name"]: c for c in checkpoints_of(*families) if accept is None or accept(c["card"])}
    if not models:
        st.info(f"No {' / '.join(families)} checkpoint for this is installed. Train one: `{train_hint}`.")
        return None
    names = list(models)
    if default is None:  # a tab opens on its family's Fashion-MNIST model too, where one is installed
        default = first_choice(names, *families)
    # options are checkpoint names, so a link names the model, not a label (the family and data follow below)
    name = (where or st).selectbox(label, names, index=names.index(default) if default in names else 0, key=key,
                                   bind="query-params")
    (where or st).caption(plain(describe_checkpoint(models[name])))
    return name


def card_of(name: str) -> dict:
    """The listed card (without its history) of the checkpoint `name`."""
    return next(c["card"] for c in checkpoint_listing() if c["name"] == name)


def image_card(card: dict) -> bool:
    """Whether a checkpoint's card describes a model of images (the default kind)."""
    return card["dataset"].get("kind", "image") == "image"


def pick_checkpoint(families: tuple[str, ...], key: str, resets: tuple[str, ...], train_hint: str,
                    last: tuple[str, ...] = ()):
    """The page's model picker: a selectbox over the checkpoints of `families`, the chosen model loaded through
    the shared core; checkpoints of the families in `last` come after the others (the first is the default).
    Switching models forgets the widget values in `resets` (their options depend on the model).
    With no checkpoint, or one that cannot be loaded, says so and stops the page. Returns (models by name, name,
    the loaded model)."""
    from ui.settings import forget

    models = sorted(checkpoints_of(*families), key=lambda m: m["card"].get("family") in last)  # stable
    if not models:
        st.warning(f"No {' / '.join(families)} checkpoints found. Train one: `{train_hint}`.")
        st.stop()
    by_name = {m["name"]: m for m in models}
    names = list(by_name)
    name = st.selectbox("Model", names, index=names.index(first_choice(names, families[0])), key=key,
                        bind="query-params", on_change=forget, args=resets)  # a link names the checkpoint
    st.caption(plain(describe_checkpoint(by_name[name])))
    try:
        loaded = get_core().load(name)
    except GenLabError as error:
        st.error(plain(error))
        st.stop()
    return by_name, name, loaded
