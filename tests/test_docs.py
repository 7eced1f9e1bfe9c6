"""Every code block of the README and the docs runs, and shows what it claims (doctests)."""

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_python_block_is_a_doctest_that_passes(page):
    text = page.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    untested = [b.splitlines()[0] for b in blocks if ">>>" not in b]
    assert not untested, f"{page.name}: python blocks without doctest examples: {untested}"
    result = doctest.testfile(str(page), module_relative=False, verbose=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{page.name}: {result.failed} of {result.attempted} examples failed"
