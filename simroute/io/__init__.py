"""Inputs and outputs: what a user writes and what simroute writes back.

* ``settings`` — every setting, declared once (:class:`Settings` and the classes it nests);
* ``workload`` — arrivals and request mixes (:class:`Workload`, :class:`MixEntry`), its kinds;
* ``profiles`` — rate profiles: steps, ramps, spikes and cycles that shape a workload's rate;
* ``tracefile`` — reading a trace file (CSV, simroute or Azure format), every row checked;
* ``faults`` — injected faults (:class:`Fault`);
* ``scenario`` — a scenario file: catalog + settings + workload + faults (:class:`Scenario`);
* ``litellm`` — importing a LiteLLM router config;
* ``logs`` — reading a gateway's request logs (CSV, OpenTelemetry spans, LiteLLM spend logs);
* ``labelled`` — labelled routing requests (which plugins an engineer would accept);
* ``traces`` — the traces shipped with simroute, by name;
* ``outputs`` — output folders written atomically, with a manifest and a lock.

May import: ``common``, ``resilience``, ``policies``.
"""
