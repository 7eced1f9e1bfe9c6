"""Experiments: running scenarios and turning runs into tables and decisions.

* ``run`` — one run of a scenario (:func:`run`), wiring the engine and collecting its tables;
* ``results`` — a run's tables and summary (:class:`Results`);
* ``metrics`` — every summary metric, declared once (:data:`METRICS`);
* ``streaming`` — the summary record level (counters, sketch, per-minute tables);
* ``executors`` — where runs go (serial, processes, Dask);
* ``params`` — parameter paths for sweeps and tuning;
* ``sweep``, ``tune`` — sweeps with intervals; tuning with Optuna;
* ``answers`` — the best setting of a sweep or tuning run and its ties, in words;
* ``routing_quality`` — routing accuracy on a labelled set, with cross-validation;
* ``replay`` — the seed's documented flows replayed against its numbers;
* ``calibrate`` — a scenario fitted to a gateway's logs, checked on the part held out;
* ``export`` — tables to CSV and Parquet;
* ``queueing`` — M/M/c formulas (Erlang C) the capacity plan starts from.

May import: ``common``, ``resilience``, ``policies``, ``io``, ``engine``. Never matplotlib or
ipywidgets at import time.
"""
