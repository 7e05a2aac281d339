"""Page tests through Streamlit's AppTest (tests/apptest.py): pages that change when controls move."""
