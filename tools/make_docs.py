"""Write the generated parts of the docs: ``docs/settings.md`` from the settings' declarations.

    python tools/make_docs.py
"""

from __future__ import annotations

from pathlib import Path

from simroute.settings import settings_reference

ROOT = Path(__file__).resolve().parent.parent

HEADER = """# Settings reference

Every field of a scenario's `settings:` section, generated from its declaration in
`simroute/settings.py` (and the classes it nests) by `python tools/make_docs.py`; a test keeps
this page equal to the code. Each row is also a sweep and tuning parameter path
(`sr.sweep(scenario, {"timeout.attempt": [30, 60]})`). Per-plugin resilience fields (`failure`,
`timeout_s`, `rpm`, `tpm`) live in the catalog and in scenario `overrides:`; see
[resilience.md](resilience.md).

"""


def main() -> None:
    (ROOT / "docs" / "settings.md").write_text(HEADER + settings_reference())


if __name__ == "__main__":
    main()
