"""The engine: SimPy mechanisms that drive the policies over simulated time.

* ``orchestrator`` — one run's engine, wired, and each request's pipeline (group router, saga or
  plan); what the run's tables read at the end;
* ``context`` — the wiring the parts share (servers, breakers, guards, streams, bus, faults): the
  narrow view collaborators get instead of the orchestrator;
* ``decisions`` — the seed's policies' answers, computed once per distinct question;
* ``plans`` — a routed request's plan, phase by phase, down the fallbacks;
* ``sagas`` — sagas and their compensations;
* ``attempts`` — attempts on one plugin: guards, the call, hedging, timeouts, retries (one serve path);
* ``faults`` — how an attempt ends: the plugin's failure model and the faults active on it;
* ``guards`` — deadline, breaker, bulkhead, rate limit, shedding: ``admit`` / ``on_result``;
* ``grouprouter`` — an LLM router's model groups: picks, retries, cooldowns, fallbacks;
* ``plugins`` — capacity-limited servers with cancellable queue tickets;
* ``bus``, ``state``, ``observers`` — pub/sub with wildcards, the key/value store, what the bus sees
  of each call;
* ``records``, ``recorder`` — named rows, columnar collection;
* ``arrivals`` — arrivals started block by block;
* ``users`` — closed-loop users, each sending its next request when its last has ended;
* ``tasks`` — the fast event loop and lean request tasks: the one module that touches SimPy's
  internals.

May import: ``common``, ``resilience``, ``policies``, ``io``. Never ``experiments`` or ``faces``.
"""
