"""``python -m simroute …`` is the ``simroute`` command."""

import os
import sys

try:
    from .faces.cli import run
except KeyboardInterrupt:  # interrupted while the command's modules were still importing
    print("simroute: interrupted; no output was half-written (the previous one, if any, is intact)",
          file=sys.stderr)
    sys.stderr.flush()
    os._exit(130)

run()
