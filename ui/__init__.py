"""The only Streamlit helpers: cached loaders, the sidebar's settings, image display and the page registry.

Arrows point down: pages -> ui -> gen_core. No torch maths here.
"""
