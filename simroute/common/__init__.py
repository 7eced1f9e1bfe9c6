"""Foundations every other part stands on: nothing here imports another part of simroute.

* ``errors`` — :class:`InputError` (one line naming file, line, entry and field) and
  :class:`SimrouteError`;
* ``schema`` — the one declarative schema: a field's type, bounds and unit, checked at the boundary
  and used for YAML, sweep paths and the docs;
* ``yamlio`` — reading inputs (UTF-8, size and alias limits, duplicate keys, line numbers);
* ``distributions`` — service-time distributions (:class:`ServiceTime`);
* ``draws`` — random streams read a block at a time;
* ``durations`` — durations as people write them (``90s``, ``1.5m``, ``2h``);
* ``version`` — ``__version__``;
* ``build`` — compiled or pure: which build of the hot modules runs (``SIMROUTE_PURE``);
* ``statuses`` — a request's terminal status, declared once.

May import: the standard library, numpy, PyYAML. Nothing of simroute outside ``common``.
"""
