"""`genlab-app`: serve the installed GenLab app from any folder, as `streamlit run app.py` does in a checkout.

Arguments are Streamlit's (`genlab-app --server.port 8502 --server.address 0.0.0.0`). The app's own settings
(.streamlit/config.toml beside app.py) apply wherever it is started from: Streamlit reads a config file next to
the main script."""
from __future__ import annotations

import os
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    os.execv(sys.executable, [sys.executable, "-m", "streamlit", "run", str(APP), *argv])


if __name__ == "__main__":
    main()
