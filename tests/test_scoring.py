from dataclasses import replace

import pytest

import simroute as sr

from .conftest import REQUEST_1


def test_plugin_ranking_and_breakdowns_for_request_1(catalog):
    ranked = sr.score_plugins(sr.classify(REQUEST_1, catalog, sr.SEED_READING), catalog, sr.SEED_WEIGHTS)
    assert [s.plugin for s in ranked[:3]] == [
        "fastapi-backend", "lobbi-platform-manager", "ahling-command-center"]
    fastapi, lobbi, ahling = ranked[:3]
    # the components exactly as the seed lists them
    assert fastapi.breakdown == {"domain:backend": 30, "context:fastapi": 20,
                                 "context:mongodb": 20, "pattern:rest-api": 15}
    assert fastapi.multipliers == {"priority": 1.0, "availability": 0.98}
    assert lobbi.breakdown == {"domain:auth": 30, "context:keycloak": 20, "pattern:jwt-auth": 15}
    assert ahling.breakdown == {"domain:devops": 30, "context:kubernetes": 20}
    # Seed inconsistency (DESIGN.md §4): the seed's totals contradict its own components.
    # fastapi-backend: 30+20+20+15 = 85, yet "Score: 95" and final 93.1 (= 95 × 0.98);
    # we score the listed components: 85 × 1.0 × 0.98 = 83.3.
    assert fastapi.raw == 85 and fastapi.score == pytest.approx(83.3)
    # lobbi: components sum to 65, the seed says 75; ahling: 50, the seed says 68.
    assert lobbi.score == 65 and ahling.score == 50
    assert all(s.plugin != "jira-orchestrator" for s in ranked)  # degradation path, not a candidate


def test_excluded_plugins_are_not_candidates(catalog):
    c = sr.classify(REQUEST_1, catalog)
    ranked = sr.score_plugins(c, catalog, exclude=["fastapi-backend"])
    assert ranked[0].plugin == "lobbi-platform-manager"


def test_weights_are_tunable(catalog):
    c = sr.classify(REQUEST_1, catalog, sr.SEED_READING)
    w = replace(sr.SEED_WEIGHTS, domain=0, context=50, pattern=0)
    ranked = sr.score_plugins(c, catalog, w)
    assert ranked[0].breakdown == {"context:fastapi": 50, "context:mongodb": 50}
    with pytest.raises(ValueError, match="domain must be >= 0"):
        sr.ScoringWeights(domain=-1)


def test_plugin_keyword_weight_counts_registry_keywords(catalog):
    c = sr.classify(REQUEST_1, catalog)
    s = sr.score_plugin(catalog.plugin("fastapi-backend"), c, sr.ScoringWeights(plugin_keyword=5))
    assert s.breakdown["keyword:fastapi"] == 5 and s.breakdown["keyword:keycloak"] == 5


def test_scores_frame_sums_to_raw(catalog):
    frame = sr.scores_frame(sr.score_plugins(sr.classify(REQUEST_1, catalog), catalog))
    points = frame[~frame.component.str.startswith("×")].groupby("name").points.sum()
    raw = frame.groupby("name").raw.first()
    assert (points == raw[points.index]).all()
