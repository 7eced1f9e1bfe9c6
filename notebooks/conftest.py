"""nbval settings for the notebooks: figures are looked at, not compared byte for byte."""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("image/png", "image/svg+xml", "text/html",
                                   "application/vnd.jupyter.widget-view+json")
