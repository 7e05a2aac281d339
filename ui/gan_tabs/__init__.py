"""GAN Studio's tabs for the variants, one module each, over gen_core/gan_lab.py. Each tab's `show(device)` picks
its own checkpoint of its family, so it works whatever model the page's main picker holds."""
