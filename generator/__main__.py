"""`python -m generator` is the `storegen` command."""

import sys

from .cli import main

sys.exit(main())
