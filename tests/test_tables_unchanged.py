"""Every bundled scenario's tables are byte-identical to those of the reference commit.

The reference is the commit a refactor started from: ``tools/compare_tables.py`` checks it out into a
temporary worktree and compares each table's digest (see that script for what is compared). A
change that means to alter results names the tables it alters in :data:`CHANGED_ON_PURPOSE`, with
why (or, for a table that changes in every group, :data:`CHANGED_TABLES_ON_PURPOSE`); a later
commit moves :data:`REFERENCE` to it and empties the lists.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: the commit whose tables are the reference: dcccecd, after issue 29's deliberate change (the
#: report's intervals keep to each metric's domain; its saturation table says saturation at peaks);
#: before it, c1bd0fb (issue 24's deliberate changes) and cbb3df7 (the redesign of issue 22 kept
#: every table of it byte-identical)
REFERENCE = "dcccecd04592170df65dbea2120569b023221160"
#: tables that differ from the reference on purpose: the digest group → why
CHANGED_ON_PURPOSE: dict[str, str] = {}
#: tables that differ from the reference on purpose in every group: the table → why
CHANGED_TABLES_ON_PURPOSE: dict[str, str] = {}


def _have_reference() -> bool:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        return False
    found = subprocess.run(["git", "-C", str(ROOT), "cat-file", "-e", f"{REFERENCE}^{{commit}}"],
                           capture_output=True)
    return found.returncode == 0


@pytest.mark.skipif(not _have_reference(), reason="needs git and the reference commit in the history")
def test_every_bundled_table_is_the_same_as_at_the_reference_commit():
    done = subprocess.run([sys.executable, str(ROOT / "tools" / "compare_tables.py"), "compare", REFERENCE],
                          capture_output=True, text=True, cwd=ROOT, timeout=900)
    differs = [line.split("  ", 1)[1].rsplit(": ", 1) for line in done.stdout.splitlines()
               if line.startswith("DIFFERS")]
    unexpected = sorted(f"{group}: {table}" for group, table in differs
                        if group not in CHANGED_ON_PURPOSE and table not in CHANGED_TABLES_ON_PURPOSE)
    assert not unexpected, done.stdout[-4000:] + done.stderr[-4000:]
    assert done.returncode == (1 if differs else 0), done.stderr[-4000:]
    assert differs or "every table is the same" in done.stdout
