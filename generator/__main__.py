"""`python -m storegen` is the `storegen` command."""

import sys

from .cli import main

sys.exit(main())
