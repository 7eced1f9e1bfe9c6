"""The tuning panels: a change re-runs a small simulation and what they show moves the right way."""

import pytest

pytest.importorskip("ipywidgets")

from simroute.faces.widgets import BreakerPanel, BudgetPanel, ScoringPanel  # noqa: E402


def test_scoring_weights_change_ranking_and_routing_shares():
    p = ScoringPanel(requests=200)
    before = p.update()
    assert before["ranking"][0] == "fastapi-backend"
    p.sliders["context"].value = 0  # moving a slider redraws by itself
    p.sliders["domain"].value = 0
    after = p.last
    assert after["ranking"] != before["ranking"]
    assert after["shares"] != before["shares"]


def test_breaker_panel_fails_fast_with_a_low_threshold():
    p = BreakerPanel(requests=400)
    p.sliders["breaker.failure_threshold"].value = 20
    lax = dict(p.last)
    p.sliders["breaker.failure_threshold"].value = 1
    strict = p.last
    assert strict["fast_fails_per_request"] > lax["fast_fails_per_request"]
    assert strict["breaker_trips"] > lax["breaker_trips"]
    p.enabled.value = False
    assert p.last["breaker_trips"] == 0 and p.last["fast_fails_per_request"] == 0


def test_budget_panel_rejects_more_as_the_budget_shrinks_and_prices_rise():
    p = BudgetPanel(requests=300)
    roomy = p.update()
    assert roomy["plan_status"] == "within_budget" and roomy["plan_cost"] == pytest.approx(0.30)
    p.budget.value = 0.15
    assert p.last["rejection_rate"] > roomy["rejection_rate"]
    assert p.last["plan_status"] == "rejected"
    p.budget.value = 0.50
    p.prices["tiers.sonnet.price"].value = 0.30  # dearer plans: more of them over budget
    assert p.last["rejection_rate"] > roomy["rejection_rate"]
    p.policy.value = "flag"  # run them anyway, flagged: spend rises
    assert p.last["rejection_rate"] == 0
    assert p.last["cost_per_request"] > roomy["cost_per_request"]


def test_breaker_panel_outage_kind_and_attempt_timeout():
    p = BreakerPanel(requests=400)
    p.sliders["timeout.attempt"].value = 7200
    assert p.last["timeouts_per_request"] == 0  # the outage refuses fast: errors, no timeouts
    p.kind.value = "timeout"  # now it hangs: its calls end as timeouts
    assert p.last["timeouts_per_request"] > 0
    hanging = dict(p.last)
    p.sliders["timeout.attempt"].value = 600  # shorter than the plugins' normal service times
    assert p.last["success_rate"] < 0.5 < hanging["success_rate"]  # cuts healthy calls too


@pytest.mark.parametrize(("breakers", "outage"), [(True, "error"), (False, "error"), (True, "timeout"),
                                                  (False, "timeout")])
def test_the_retry_budget_checkbox_changes_the_numbers(breakers, outage):
    p = BreakerPanel(requests=400)
    p.enabled.value = breakers
    p.kind.value = outage
    p.sliders["retry.max_retries"].value = 3
    free = dict(p.update())
    p.budget.value = True  # retries at most 20 % of the last hour's requests
    capped = p.last
    assert capped["attempts_per_request"] < free["attempts_per_request"]
