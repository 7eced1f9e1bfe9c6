"""Every bundled scenario's tables are byte-identical to those of the reference commit.

The reference is the commit a refactor started from: ``tools/compare_tables.py`` checks it out into a
temporary worktree and compares each table's digest (see that script for what is compared). A
change that means to alter results moves :data:`REFERENCE` to its own parent and says why.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: the commit before the redesign of issue 22 (layout by parts, the engine's middle split)
REFERENCE = "cbb3df7d161a52c519c87f7de92a54ef93cab3f6"


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
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert "every table is the same" in done.stdout
