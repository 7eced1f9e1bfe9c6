"""A request's terminal status: declared once, read by the engine, the tables and the metrics.

* ``succeeded`` — every phase answered by the plugin it was routed to;
* ``degraded`` — answered, but some phase by a fallback (or the orchestrator's built-in handling);
* ``failed`` — a phase failed everywhere, the deadline passed, or a compensation failed;
* ``compensated`` — a saga rolled back;
* ``rejected`` — refused before any call (over budget, nothing matched);
* ``in_flight`` — still running when the run stopped.
"""

__all__ = ["SUCCEEDED", "DEGRADED", "FAILED", "COMPENSATED", "REJECTED", "IN_FLIGHT", "STATUSES"]

SUCCEEDED = "succeeded"
DEGRADED = "degraded"
FAILED = "failed"
COMPENSATED = "compensated"
REJECTED = "rejected"
IN_FLIGHT = "in_flight"
#: every status, in the order tables and summaries list them
STATUSES = (SUCCEEDED, DEGRADED, FAILED, COMPENSATED, REJECTED, IN_FLIGHT)
