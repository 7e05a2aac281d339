"""The Diffusion Theater's tabs, one module each, over gen_core/labs/diffusion.py. Each tab's `show(theater)` gets
the chosen model as one frozen `Theater` (context.py) and reads nothing else from the page."""
