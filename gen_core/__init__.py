"""GenLab's core: data, models, training, checkpoints and inference, with no user interface.

Usable from a notebook, the command lines (`python -m gen_core.train|sample|checkpoints`), the tests and the
Streamlit app alike. Nothing in this package imports streamlit.
"""
from gen_core.errors import GenLabError

__version__ = "0.4.0"  # pyproject.toml reads it; cards record it

__all__ = ["GenLabError", "__version__"]
