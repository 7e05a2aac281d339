"""The Likelihood Lab's tabs, one module each (`show()`), over gen_core/likelihood_lab.py and gen_core/likelihood.py."""
