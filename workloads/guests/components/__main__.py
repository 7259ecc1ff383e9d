"""`python -m wasmscope.workloads.guests.components`: rebuild the committed wasi:http component."""

import sys

from .builder import main

sys.exit(main())
