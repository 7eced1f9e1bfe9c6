"""Faces: what a person looks at or types.

* ``cli`` — the ``simroute`` command;
* ``report``, ``report_data``, ``report_page``, ``report_sections``, ``report_format`` — the capacity
  and cost report: its simulations and decisions; its answers as data (:class:`Report`, the rules'
  constants); its page; its sections (one class each: figures, tables, words); how it writes
  numbers, tables and figures;
* ``calibration_page`` — the calibration's folder and page (``sr.calibrate``);
* ``plots`` — matplotlib figures of runs and policies;
* ``widgets`` — ipywidgets panels for notebooks.

May import: every other part. Nothing imports ``faces`` but the package's lazy names.
"""
