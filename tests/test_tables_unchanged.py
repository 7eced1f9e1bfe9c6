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
#: the commit whose tables are the reference: c1bd0fb, after issue 24's deliberate changes (the
#: report's load factor, settings and spend bins, the gateway scenario, the ttft/tpot columns and
#: metrics); before them, cbb3df7 (the redesign of issue 22 kept every table of it byte-identical)
REFERENCE = "c1bd0fb524cb33d64432bd1ba1ebd5ce95cf4ecb"
#: tables that differ from the reference on purpose: the digest group → why
CHANGED_ON_PURPOSE: dict[str, str] = {
    "report of default.yaml (its CSV tables)": "issue 29: each interval keeps to its metric's domain "
    "(Wilson for shares, the log scale for positive quantities; was Student's t for every metric)",
}
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
