"""Browser tests: a real `streamlit run` server driven in Debian's Chromium through Playwright (driver.py)."""
