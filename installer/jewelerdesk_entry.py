"""Entry script for the PyInstaller bundle: the same composition root as `python -m jewelerdesk`."""

import multiprocessing
import sys

from jewelerdesk.__main__ import main

if __name__ == "__main__":
    multiprocessing.freeze_support()
    sys.exit(main())
