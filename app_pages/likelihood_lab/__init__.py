"""The Likelihood Lab's tabs, one module each (`show()`), over gen_core/labs/likelihood.py and gen_core/likelihood.py."""
