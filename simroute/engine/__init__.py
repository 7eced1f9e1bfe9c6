"""SimPy mechanisms that drive the policies over simulated time.

``bus`` (pub/sub with wildcards), ``state`` (key/value store with change events), ``plugins``
(capacity-limited servers with a FIFO queue), ``recorder`` (columnar result collection),
``orchestrator`` (the per-request pipeline: classify → route → optimize → execute the plan with
breakers, retries, fallbacks and sagas).
"""
