"""Routing quality: the labelled set, the catalog reading, the tuned defaults and their measures."""

import math
from dataclasses import replace

import pytest
from scipy.stats import binomtest

import simroute as sr
from simroute.common.errors import InputError
from simroute.experiments.routing_quality import wilson
from simroute.faces.cli import main
from simroute.policies.catalog import load_catalog


@pytest.fixture(scope="module")
def labelled(catalog):
    return sr.bundled_labelled(catalog)


@pytest.fixture(scope="module")
def evaluation(labelled, catalog):
    return sr.evaluate_routing(labelled, catalog)


def test_the_labelled_set_covers_every_plugin_easy_and_hard(labelled, catalog):
    assert len(labelled) >= 150
    accepted = {p for item in labelled for p in item.accept}
    assert accepted == set(catalog.plugins)
    assert {item.difficulty for item in labelled} == {"easy", "hard"}
    assert all(item.why for item in labelled)


def test_shipped_defaults_route_the_labelled_set_well(evaluation):
    assert evaluation.accuracy >= 0.85
    by = evaluation.accuracy_by("difficulty")
    assert by.loc["hard", "accuracy"] >= 0.75
    assert evaluation.top3 >= evaluation.accuracy


def test_choosing_weights_holds_up_on_held_out_folds(labelled, catalog):
    """5-fold cross-validation of choosing among weightings near the defaults: the held-out accuracy
    (not only the training accuracy) stays at 0.85 or more, and both are reported per fold."""
    d = sr.ScoringWeights()
    candidates = [replace(d, plugin_keyword=k, description=x) for k in (30.0, 60.0) for x in (0.0, 20.0)]
    candidates.append(sr.SEED_WEIGHTS)
    cv = sr.cross_validate(labelled, catalog, candidates, k=5, seed=0)
    assert list(cv.columns) == ["fold", "train_requests", "test_requests", "chosen", "train_accuracy",
                                "test_accuracy"]
    assert len(cv) == 5 and cv.test_requests.sum() == len(labelled)
    assert cv.test_accuracy.mean() >= 0.85
    assert (cv.chosen != len(candidates) - 1).all()  # the seed's weights are never the best


def test_the_seeds_routing_is_the_baseline_it_was(labelled, catalog):
    seed = sr.evaluate_routing(labelled, catalog, sr.SEED_WEIGHTS, sr.SEED_READING)
    assert seed.accuracy < 0.45  # about a third: what the issue measured
    assert seed.no_match_rate > 0.25


def test_every_plugin_is_primary_for_some_labelled_request(evaluation, catalog):
    chosen = evaluation.per_plugin().chosen
    assert (chosen >= 1).all(), chosen[chosen < 1]
    assert set(chosen.index) == set(catalog.plugins)


def test_the_orchestrator_is_scored_for_its_own_work(catalog):
    c = sr.classify("Create Jira sub-issues from this epic and link the branches", catalog)
    scores = sr.score_plugins(c, catalog)
    assert scores[0].name == "jira-orchestrator"
    assert all(s.name != "jira-orchestrator" for s in sr.score_plugins(c, catalog, sr.SEED_WEIGHTS))


@pytest.mark.parametrize("wrong, right", [
    ("terrafrom plan fails on the eks cluster module", "terraform plan fails on the eks cluster module"),
    ("dokcer image for the worker", "docker image for the worker"),
    ("deploy to kubernets", "deploy to kubernetes"),
    ("home asistant blueprint for motion lights", "home assistant blueprint for motion lights"),
])
def test_a_misspelt_request_routes_like_the_right_spelling(catalog, wrong, right):
    a, b = sr.classify(wrong, catalog), sr.classify(right, catalog)
    assert a.corrections and not b.corrections
    assert (a.domains, a.contexts, a.keywords) == (b.domains, b.contexts, b.keywords)
    assert sr.decide_route(a, catalog).primary == sr.decide_route(b, catalog).primary


@pytest.mark.parametrize("word", ["senior", "router", "sales", "matches", "state"])
def test_real_words_are_not_corrected(catalog, word):
    assert sr.classify(f"the {word} of it", catalog).corrections == ()


def test_multi_word_terms_and_synonyms(catalog):
    c = sr.classify("Write a Home Assistant automation for the smart home", catalog)
    assert "home-assistant" in c.contexts and "smart-home" in c.domains
    assert "home assistant" in c.words
    # a synonym replaces its words: an Obsidian vault is not Hashicorp Vault
    c = sr.classify("Sync our Obsidian vault", catalog)
    assert "obsidian-sync" in c.keywords and "vault" not in c.contexts
    assert "vault" in sr.classify("Sync our Obsidian vault", catalog, sr.SEED_READING).contexts
    assert sr.classify("k8s", catalog).contexts == ("kubernetes",)


def test_the_seed_reading_knows_no_catalog_words(catalog):
    c = sr.classify("Generate an SBOM and track CVEs", catalog, sr.SEED_READING)
    assert c.keywords == () and c.domains == ()
    assert "sbom" in sr.classify("Generate an SBOM and track CVEs", catalog).keywords


def test_a_synonym_must_stand_for_a_known_term(tmp_path):
    import shutil

    shutil.copytree(sr.catalog.data_dir() / "catalog", tmp_path / "c")
    lex = tmp_path / "c" / "lexicon.yaml"
    lex.write_text(lex.read_text().replace("    kube: kubernetes\n", "    kube: kubernetez\n"))
    with pytest.raises(InputError, match=r"lexicon.yaml: lexicon: field 'synonyms.kube': 'kubernetez' "
                                         r"is not a term of the vocabulary"):
        load_catalog(tmp_path / "c")


def test_wilson_interval_matches_scipy():
    for k, n in ((0, 10), (5, 10), (149, 164), (10, 10)):
        ci = binomtest(k, n).proportion_ci(method="wilson")
        lo, hi = wilson(k, n)
        assert math.isclose(lo, ci.low, abs_tol=1e-9) and math.isclose(hi, ci.high, abs_tol=1e-9)


def test_measures_on_a_hand_labelled_set(tmp_path, catalog):
    path = tmp_path / "l.csv"
    path.write_text("text,accept\n"
                    "Write a Terraform module for an AWS VPC,iac-golden-architect\n"
                    "Write a Terraform module for an AWS VPC,fullstack-iac\n"
                    "completely unrelated words,fastapi-backend\n")
    ev = sr.evaluate_routing(sr.read_labelled(path, catalog), catalog)
    t = ev.table
    assert list(t.correct) == [True, False, False]
    assert list(t.matched) == [True, True, False]
    assert list(t.primary) == ["iac-golden-architect", "iac-golden-architect", "jira-orchestrator"]
    assert t.regret_usd[0] == 0 and t.regret_s[0] == 0
    iac, fs = catalog.plugin("iac-golden-architect"), catalog.plugin("fullstack-iac")
    assert t.regret_s[1] == pytest.approx(iac.service_for().mean - fs.service_for().mean)
    pp = ev.per_plugin()
    assert pp.loc["iac-golden-architect", "precision"] == 0.5
    assert pp.loc["iac-golden-architect", "recall"] == 1.0
    assert math.isnan(pp.loc["container-workflow", "precision"])
    conf = ev.confusion()
    assert conf.loc["fastapi-backend", "(no match)"] == 1
    assert ev.no_match_rate == pytest.approx(1 / 3)


@pytest.mark.parametrize("content, where", [
    ("txt,accept\nhello,fastapi-backend\n", r"l.csv:1: missing column 'text'"),
    ("text,accept,acept\nhello,fastapi-backend,x\n", r"l.csv:1: field 'acept': unknown column"),
    ("text,accept\nhello,fastapi-backend|nope\n", r"l.csv:2: field 'accept': unknown plugin 'nope'"),
    ("text,accept\nhello,fastapi-backend\n ,fastapi-backend\n", r"l.csv:3: field 'text': empty request text"),
    ("text,accept\nhello,\n", r"l.csv:2: field 'accept': no accepted plugin"),
    ("text,accept\n", r"l.csv:1: no labelled requests"),
])
def test_bad_labelled_files_get_one_clear_line(tmp_path, catalog, capsys, content, where):
    path = tmp_path / "l.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=where):
        sr.read_labelled(path, catalog)
    capsys.readouterr()
    assert main(["route", "--eval", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_route_eval_prints_the_measures_and_writes_the_table(tmp_path, capsys):
    out = tmp_path / "eval.csv"
    assert main(["route", "--eval", "bundled", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "top-1 accuracy" in text and "per plugin" in text and "hard" in text
    import pandas as pd

    table = pd.read_csv(out)
    assert len(table) >= 150 and {"text", "accept", "primary", "correct", "regret_usd"} <= set(table.columns)
    assert main(["route", "--eval", "bundled", "--out", str(out)]) == 2  # never replaced silently
    assert main(["route", "--eval", "bundled", "--seed-routing"]) == 0
    assert "the seed's routing" in capsys.readouterr().out


# ---------------------------------------------------------------------- in the simulation
def _labelled_scenario(catalog, requests=600, **settings):
    from simroute.io.labelled import labelled_mix

    mix = labelled_mix(sr.bundled_labelled(catalog))
    return sr.Scenario(name="rq", catalog=catalog, settings=sr.Settings(**settings),
                       workload=sr.Workload(rate=0.002, requests=requests, mix=mix))


def test_a_sweep_of_scoring_weights_moves_success_beyond_noise(catalog):
    """With the labelled mix, routing that picks wrong plugins more often (plugin keywords not
    scored) succeeds less often: the 95 % intervals of the two points do not overlap."""
    df = sr.sweep(_labelled_scenario(catalog), {"weights.plugin_keyword": [0.0, 60.0]}, replications=4,
                  executor="serial", metrics=["success_rate", "latency_mean"])
    agg = sr.aggregate(df).set_index(["weights.plugin_keyword", "metric"])
    lo, hi = agg.loc[(0.0, "success_rate")], agg.loc[(60.0, "success_rate")]
    assert lo.ci_high < hi.ci_low
    assert agg.loc[(0.0, "latency_mean"), "mean"] > agg.loc[(60.0, "latency_mean"), "mean"]


def test_a_task_on_a_plugin_the_request_does_not_accept_fails_more_and_takes_longer(catalog):
    text = "Write a Terraform module for an AWS VPC"  # routed to iac-golden-architect

    def run(accept, **wrong):
        s = sr.Scenario(name="w", catalog=catalog.with_plugin("iac-golden-architect", failure_p=0.1),
                        settings=sr.Settings(retry=sr.RetryPolicy(max_retries=0), builtin_fallback=False,
                                             wrong_plugin=sr.WrongPluginSettings(**wrong)),
                        workload=sr.Workload(rate=0.0005, requests=4000,
                                             mix=(sr.MixEntry(text=text, accept=accept),)))
        a = sr.run(s, seed=3).attempts
        a = a[(a.plugin == "iac-golden-architect") & (a.fallback_level == 0)]
        return (a.outcome != "success").mean(), a[a.outcome == "success"].service.mean()

    right_fail, right_s = run(("iac-golden-architect",), failure_p=0.3, slowdown=1.5)
    wrong_fail, wrong_s = run(("fullstack-iac",), failure_p=0.3, slowdown=1.5)
    off_fail, off_s = run(("fullstack-iac",), failure_p=0.0, slowdown=1.0)
    assert right_fail == pytest.approx(0.1, abs=0.02) and off_fail == pytest.approx(0.1, abs=0.02)
    assert wrong_fail == pytest.approx(1 - 0.9 * 0.7, abs=0.025)
    assert wrong_s / right_s == pytest.approx(1.5, rel=0.06)
    assert off_s / right_s == pytest.approx(1.0, rel=0.06)


def test_requests_without_labels_never_feel_it(catalog):
    s = sr.Scenario.default()
    s = s.replace(workload=sr.Workload(**{**{f: getattr(s.workload, f) for f in ("kind", "rate", "mix")},
                                          "requests": 300}))
    harsh = s.replace(settings=replace(s.settings, wrong_plugin=sr.WrongPluginSettings(failure_p=0.9,
                                                                                        slowdown=5)))
    a, b = sr.run(s, seed=2), sr.run(harsh, seed=2)
    assert a.requests.equals(b.requests) and a.attempts.equals(b.attempts)


def test_an_unknown_accepted_plugin_in_a_mix_is_named(catalog):
    with pytest.raises(InputError, match=r"workload.mix\[0\]: field 'accept': unknown plugin 'nope'"):
        sr.Scenario(name="x", catalog=catalog,
                    workload=sr.Workload(mix=(sr.MixEntry(text="api", accept=("nope",)),)))


# ---------------------------------------------------------------------- tuning for accuracy
def test_tune_routing_reports_train_and_held_out_side_by_side(labelled, catalog):
    from simroute.experiments.routing_quality import tune_routing

    space = {"weights.plugin_keyword": (0.0, 90.0), "weights.priority_power": [0.0, 1.0]}
    r = tune_routing(labelled, catalog, space, trials=8, k=3, seed=1, progress=False)
    assert list(r.folds.columns[:5]) == ["fold", "train_requests", "test_requests", "train_accuracy",
                                         "test_accuracy"]
    assert r.folds.test_requests.sum() == len(labelled)
    assert len(r.trials) == 8 and set(r.best_params) == set(space)
    best = sr.evaluate_routing(labelled, catalog, replace(sr.ScoringWeights(), **{
        k.split(".")[1]: v for k, v in r.best_params.items()}))
    assert best.accuracy == r.trials.accuracy.max()
    front = r.frontier()
    assert front.mean_cost_usd.is_monotonic_increasing and front.accuracy.is_monotonic_increasing
    again = tune_routing(labelled, catalog, space, trials=8, k=3, seed=1, progress=False)
    assert again.folds.equals(r.folds) and again.trials.equals(r.trials)


def test_tune_routing_refuses_what_it_cannot_tune(labelled, catalog, capsys):
    from simroute.experiments.routing_quality import tune_routing

    with pytest.raises(InputError, match="weights.* and reading.* settings only"):
        tune_routing(labelled, catalog, {"retry.max_retries": (0, 3)})
    with pytest.raises(InputError, match="weights.domain"):
        tune_routing(labelled, catalog, {"weights.domain": (-5.0, 3.0)})
    assert main(["tune", "--routing", "bundled", "--param", "breaker.failure_threshold=1:3"]) == 2
    assert main(["tune", "--routing", "bundled", "--param", "weights.domain=0:40",
                 "--constraint", "success_rate>=0.9"]) == 2
    capsys.readouterr()
    assert main(["tune", "--routing", "bundled", "--param", "weights.domain=0:40", "--trials", "3",
                 "--folds", "2", "--quiet"]) == 0
    assert "held-out" in capsys.readouterr().out


def _trace(tmp_path, rows):
    path = tmp_path / "t.csv"
    path.write_text("time,text,accept\n" + "".join(f"{t},{text},{acc}\n" for t, text, acc in rows))
    return path


def test_trace_rows_carry_their_accepted_plugins(tmp_path, catalog):
    text = "Write a Terraform module for an AWS VPC"  # routed to iac-golden-architect
    rows = [(i * 4000, text, "fullstack-iac" if i == 0 else "") for i in range(600)]

    def failures(path, **wrong):
        s = sr.Scenario(name="t", catalog=catalog,
                        settings=sr.Settings(retry=sr.RetryPolicy(max_retries=0),
                                             wrong_plugin=sr.WrongPluginSettings(**wrong)),
                        workload=sr.Workload(kind="trace", trace=str(path), mix=(sr.MixEntry(text="api"),)))
        a = sr.run(s, seed=4).attempts
        return (a[a.plugin == "iac-golden-architect"].outcome != "success").mean()

    labelled = _trace(tmp_path, rows)
    assert failures(labelled, failure_p=0.5) > 0.4  # every row of the text is labelled, by its first
    assert failures(labelled, failure_p=0.0) < 0.1


@pytest.mark.parametrize("rows, where", [
    ([(0, "a request", "nope")], r"t.csv:2: field 'accept': unknown plugin 'nope'"),
    ([(0, "a request", "fastapi-backend"), (1, "a request", "fullstack-iac")],
     r"t.csv:3: field 'accept': fullstack-iac for a text labelled fastapi-backend on line 2"),
    ([(0, "", "fastapi-backend")], r"t.csv:2: field 'accept': accepted plugins for a row without text"),
])
def test_bad_trace_labels_are_named(tmp_path, catalog, rows, where):
    trace = str(_trace(tmp_path, rows))
    s = sr.Scenario(name="t", catalog=catalog,
                    workload=sr.Workload(kind="trace", trace=trace, mix=(sr.MixEntry(text="api"),)))
    with pytest.raises(InputError, match=where):
        sr.run(s, seed=0)


def test_the_fresh_set_never_tuned_on_still_beats_the_seed_by_far(catalog):
    fresh = sr.bundled_labelled(catalog, "fresh")
    assert len(fresh) == 40 and {p for f in fresh for p in f.accept} <= set(catalog.plugins)
    ours = sr.evaluate_routing(fresh, catalog)
    seed = sr.evaluate_routing(fresh, catalog, sr.SEED_WEIGHTS, sr.SEED_READING)
    assert ours.accuracy >= 0.7 and seed.accuracy <= 0.4  # measured: 0.75 and 0.325
    with pytest.raises(InputError, match="unknown bundled set 'nope'"):
        sr.bundled_labelled(catalog, "nope")


def test_validate_recognises_a_labelled_set(tmp_path, capsys):
    assert main(["validate", str(sr.catalog.data_dir() / "routing" / "requests.csv")]) == 0
    assert "ok (labelled): labelled routing set: 164 requests" in capsys.readouterr().out
    bad = tmp_path / "l.csv"
    bad.write_text("text,accept\nhello,nope\n")
    assert main(["validate", str(bad)]) == 2
    assert "l.csv:2: field 'accept': unknown plugin 'nope'" in capsys.readouterr().err
