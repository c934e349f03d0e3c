"""`python -m generator` is the `storegen` command."""

import sys

from generator.cli import main

sys.exit(main())
