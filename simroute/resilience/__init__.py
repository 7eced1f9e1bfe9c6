"""Resilience policies: pure state machines and rules that take time as an argument (no SimPy).

* ``failure`` — what a call can end as (:data:`OUTCOMES`) and how a plugin fails
  (:class:`FailureModel`);
* ``breaker`` — the circuit breaker (:class:`CircuitBreaker`);
* ``retry`` — backoff and retry budgets (:class:`Backoff`, :class:`RetryBudget`);
* ``settings`` — the breaker's and the retry policy's settings (:class:`BreakerSettings`,
  :class:`RetryPolicy`), apart from the compiled run-time classes;
* ``ratelimit`` — token buckets for rpm/tpm quotas;
* ``cooldown`` — LiteLLM's per-deployment cooldown after failures.

May import: ``common``.
"""
