"""``python -m simroute …`` is the ``simroute`` command."""

import sys

from .faces.cli import main

sys.exit(main())
