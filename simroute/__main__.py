"""``python -m simroute …`` is the ``simroute`` command."""

import sys

try:
    from .faces import cli

    code = cli.main()
except KeyboardInterrupt:  # before main() could handle it (while importing), or after it had
    if not sys.modules.get("simroute.faces.cli") or not sys.modules["simroute.faces.cli"].INTERRUPT_REPORTED:
        print("simroute: interrupted; no output was half-written (the previous one, if any, is intact)",
              file=sys.stderr)
    code = 130
sys.exit(code)
