"""Answers in words: the best setting and its ties, computed from the numbers, never typed."""

import pandas as pd
import pytest

from simroute.experiments.answers import best_setting, settings_rows, tuning_answer
from simroute.experiments.tune import Tuning


def rows(means, lows, highs, m="cost_per_request"):
    return pd.DataFrame({f"{m}_mean": means, f"{m}_low": lows, f"{m}_high": highs},
                        index=[f"s{i}" for i in range(len(means))])


def test_overlapping_intervals_are_no_detectable_difference():
    a = best_setting(rows([1.0, 1.1, 1.2], [0.8, 0.9, 1.0], [1.2, 1.3, 1.4]), "cost_per_request")
    assert a.best == "s0" and a.ties == ("s1", "s2") and a.all_tied
    assert "No detectable difference" in a.text and "$1 per request" in a.text


def test_a_winner_beyond_noise_is_said_so():
    a = best_setting(rows([2.0, 1.0, 3.0], [1.9, 0.9, 2.9], [2.1, 1.1, 3.1]), "cost_per_request")
    assert a.best == "s1" and a.ties == () and not a.all_tied
    assert "worse beyond noise" in a.text and "$0.9 to $1.1 per request" in a.text
    assert a.values == {"mean": 1.0, "low": 0.9, "high": 1.1}


def test_the_metric_s_own_direction_decides():
    share = rows([0.90, 0.99, 0.95], [0.89, 0.985, 0.94], [0.91, 0.995, 0.96], m="success_rate")
    a = best_setting(share, "success_rate")
    assert a.best == "s1" and "highest success rate" in a.text and "99.0%" in a.text
    p95 = rows([30.0, 10.0], [29.0, 9.0], [31.0, 11.0], m="latency_p95")
    assert best_setting(p95, "latency_p95").text.startswith("The lowest p95 latency is setting s1: 10 s")


def test_a_sweep_aggregate_becomes_one_row_per_setting():
    agg = pd.DataFrame({"point": [0, 0, 1, 1], "w": [1, 1, 2, 2], "metric": ["a", "b", "a", "b"],
                        "key": "", "mean": [1.0, 2.0, 3.0, 4.0], "ci_low": [0.5, 1.5, 2.5, 3.5],
                        "ci_high": [1.5, 2.5, 3.5, 4.5]})
    agg.attrs["params"] = ["w"]
    wide = settings_rows(agg)
    assert list(wide.index) == ["w=1", "w=2"]
    assert wide.loc["w=2", "b_low"] == 3.5 and wide.loc["w=1", "a_mean"] == 1.0


def test_a_tuning_run_without_a_feasible_trial_says_to_keep_today_s_settings():
    trials = pd.DataFrame({"trial": [0, 1], "x": [1, 2], "cost_per_request_mean": [1.0, 2.0],
                           "cost_per_request_low": [0.9, 1.9], "cost_per_request_high": [1.1, 2.1],
                           "feasible": [False, False], "violation": [0.5, 0.2]})
    t = Tuning(trials=trials, params=["x"], objective="cost_per_request",
               constraints={"success_rate": (">=", 0.99)})
    a = tuning_answer(t)
    assert a.best is None and "No trial of 2 met every goal" in a.text and "{'x': 2}" in a.text
    trials["feasible"] = [True, True]
    a = t.answer()
    assert a.best == "x=1" and "worse beyond noise" in a.text and "Every goal holds" in a.text


@pytest.mark.parametrize("missing", [True, False])
def test_no_value_means_nothing_to_recommend(missing):
    r = rows([float("nan")] * 2, [float("nan")] * 2, [float("nan")] * 2)
    if not missing:
        r = r.iloc[:0]
    assert best_setting(r, "cost_per_request").best is None
