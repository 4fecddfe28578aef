"""``python -m emulator up [STACK ...]``: see ``python -m emulator up --help``."""

from __future__ import annotations

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
