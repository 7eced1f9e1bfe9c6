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


def test_the_site_builds_with_the_gallery_the_diagram_and_download_buttons(tmp_path):
    """`mkdocs build --strict` (warnings are errors) renders the notebook gallery with a thumbnail
    per notebook, the architecture diagram, and each notebook page with its download button."""
    import subprocess
    import sys

    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocs_jupyter")
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir",
                           str(site)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    gallery = (site / "gallery" / "index.html").read_text()
    assert gallery.count('src="../img/gallery/') == len(notebooks)
    assert all((site / "img" / "gallery" / f"{nb.name[:2]}.png").stat().st_size > 1000 for nb in notebooks)
    assert "architecture.svg" in (site / "architecture" / "index.html").read_text()
    assert (site / "img" / "architecture.svg").read_text().lstrip().startswith("<?xml")
    for nb in notebooks:
        page = (site / "tutorials" / nb.stem / "index.html").read_text()
        assert f'href="{nb.name}"' in page and (site / "tutorials" / nb.stem / nb.name).exists()
        assert "NBVAL" not in page  # the markers are cell tags, not comments
    for api in (site).glob("api*/index.html"):  # docstrings' Sphinx roles became links or code
        assert ":func:`" not in api.read_text() and ":class:`" not in api.read_text(), api
    assert (site / "api-experiments" / "index.html").read_text().count('class="autorefs autorefs-') > 20
