"""`python -m wasmscope.tui.cli`: the same as the `wasmscope` command."""

import sys

from . import main

sys.exit(main())
