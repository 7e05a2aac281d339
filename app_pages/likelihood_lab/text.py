"""Text tab: a character-level GRU. Type a prefix, see the distribution of the next character, and sample
continuations at a chosen temperature."""
from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from gen_core.labs import likelihood as lab
from gen_core.errors import GenLabError
from ui.charts import legible
from ui.loaders import choose_checkpoint, get_core
from ui.settings import global_seed
from ui.text import plain
from ui.widget_keys import LIKELIHOOD

TEMPERATURES = [0.2, 0.5, 0.8, 1.0, 1.2, 1.5, 2.0]
MAX_PREFIX = 500


def shown_char(c: str) -> str:
    return {"\n": "⏎ newline", " ": "␣ space"}.get(c, c)


@st.fragment
def show() -> None:
    st.markdown("The same factorisation as PixelCNN's, in time: p(text) = prod_t p(c_t | c_1..c_t-1). A GRU reads "
                "the prefix one character at a time and outputs a softmax over the next. Dividing its logits by a "
                "temperature T before the softmax sharpens the distribution (T < 1: safer, repetitive text) or "
                "flattens it (T > 1: more surprising, more misspelt).")
    name = choose_checkpoint("rnn", LIKELIHOOD.TEXT_MODEL, "Model",
                             "python -m gen_core.train rnn --dataset text:genesis --epochs 12",
                             accept=lambda card: card["dataset"].get("kind", "image") == "text")
    if name is None:
        return
    core = get_core()
    card = core.load(name).card
    st.caption(f"Trained on {card['dataset']['name']} (the Book of Genesis, King James Version, 1611: public "
               f"domain); test: {card['metrics'].get('bits_per_char', float('nan')):.3f} bits per character.")
    prefix = st.text_input("Prefix", "And God said, Let there be ", max_chars=MAX_PREFIX, key="ll_text_prefix",
                           bind="query-params")
    c = st.columns(2)
    temperature = c[0].select_slider("Temperature", TEMPERATURES, 1.0, key=LIKELIHOOD.TEXT_TEMP, bind="query-params")
    seed = c[1].number_input("Seed", 0, 2**31 - 1, global_seed(), key="ll_text_seed", bind="query-params")
    if not prefix:
        st.info("Type at least one character.")
        return
    try:
        vocab, probs = lab.next_characters(core, name, prefix, float(temperature))
        samples = lab.continue_text(core, name, prefix, 160, float(temperature), 3, int(seed))
    except GenLabError as error:
        st.error(plain(error))
        return
    top = np.argsort(probs)[::-1][:12]
    frame = pd.DataFrame({"next character": [shown_char(vocab[k]) for k in top], "probability": probs[top]})
    st.altair_chart(legible(alt.Chart(frame, title=f"p(next character | prefix) at T = {temperature}", height=280)
                    .mark_bar().encode(x=alt.X("next character:N", sort=None, axis=alt.Axis(labelAngle=0, labelFontSize=14)),
                                       y="probability:Q",
                                       tooltip=["next character", alt.Tooltip("probability:Q", format=".3f")])))
    st.caption(f"The 12 likeliest of {len(vocab)} characters; they hold {probs[top].sum():.0%} of the probability.")
    st.markdown("**Continuations** (each character drawn from the model, then fed back in):")
    for text in samples:
        st.text(prefix + text)
