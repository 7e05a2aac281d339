"""The Diffusion Theater's tabs, one module each, over gen_core/diffusion_lab.py. Each tab's `show(theater)` gets
the chosen model as one frozen `Theater` (context.py) and reads nothing else from the page."""
