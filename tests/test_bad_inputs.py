"""A corpus of bad inputs: each gets one clear line (file, line or entry, field) and exit code 2 from
the command line — no traceback, also from worker processes — and the package's own error type
from the API; and nothing of the user's is touched."""

import subprocess
import sys

import pytest

import simroute as sr
from simroute.policies.catalog import data_dir

DATA = data_dir()
SCENARIO = """\
name: s
settings:
  breaker: {failure_threshold: 3}
workload:
  kind: poisson
  rate: 0.01
  requests: 20
  mix:
    - {text: "Deploy the service to kubernetes with helm"}
"""


def scenario(old="", new="", extra=""):
    text = SCENARIO.replace(old, new) if old else SCENARIO
    return text + extra


CATALOG = (DATA / "catalog" / "plugins.yaml").read_text()
TRACE = "time,text,budget,context_tokens,generated_tokens\n0.1,Terraform the AWS infrastructure,,601,5\n"

# (id, file name, content (str or bytes), command (FILE stands for the file), field or text in the line)
CASES = [
    # encodings and YAML
    ("binary scenario", "s.yaml", b"\x00\x01\x02\xff\xfe garbage", ["validate", "FILE"], "UTF-8"),
    ("utf-16 scenario", "s.yaml", SCENARIO.encode("utf-16"), ["run", "FILE"], "UTF-16"),
    ("latin-1 scenario", "s.yaml", SCENARIO.replace("name: s", "name: caf\xe9").encode("latin-1"),
     ["run", "FILE"], "UTF-8"),
    ("utf-16 catalog", "c.yaml", CATALOG.encode("utf-16"), ["validate", "FILE", "--kind", "catalog"],
     "UTF-16"),
    ("binary trace", "t.csv", b"\xff\xfe\x00\x00binary", ["validate", "FILE"], "UTF-8"),
    ("alias bomb", "s.yaml", "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)), ["validate", "FILE"], "aliases"),
    ("duplicate top-level key", "s.yaml", scenario(extra="name: again\n"), ["run", "FILE"], "name"),
    ("duplicate nested key", "s.yaml", scenario("breaker: {failure_threshold: 3}",
                                                "breaker: {failure_threshold: 3, failure_threshold: 4}"),
     ["run", "FILE"], "failure_threshold"),
    ("malformed yaml", "s.yaml", "name: [unclosed\n", ["run", "FILE"], "malformed YAML"),
    ("not a mapping", "s.yaml", "- a\n- b\n", ["run", "FILE"], "mapping"),
    # numbers
    ("infinite rate", "s.yaml", scenario("rate: 0.01", "rate: .inf"), ["run", "FILE"], "rate"),
    ("NaN rate", "s.yaml", scenario("rate: 0.01", "rate: .nan"), ["run", "FILE"], "rate"),
    ("negative rate", "s.yaml", scenario("rate: 0.01", "rate: -1"), ["run", "FILE"], "rate"),
    ("float requests", "s.yaml", scenario("requests: 20", "requests: 2.5"), ["run", "FILE"], "requests"),
    ("NaN breaker threshold", "s.yaml", scenario("failure_threshold: 3", "failure_threshold: .nan"),
     ["run", "FILE"], "failure_threshold"),
    ("float retry count", "s.yaml", scenario("breaker: {failure_threshold: 3}",
                                             "breaker: {failure_threshold: 3}\n  retry: {max_retries: 1.5}"),
     ["run", "FILE"], "max_retries"),
    ("infinite bus latency", "s.yaml", scenario("breaker: {failure_threshold: 3}",
                                                "breaker: {failure_threshold: 3}\n  bus_latency: .inf"),
     ["run", "FILE"], "bus_latency"),
    ("mapping for a number", "s.yaml", scenario("rate: 0.01", "rate: {a: 1}"), ["run", "FILE"], "rate"),
    ("string for a number", "s.yaml", scenario("rate: 0.01", "rate: fast"), ["run", "FILE"], "rate"),
    ("override probability > 1", "s.yaml",
     scenario(extra="overrides:\n  fastapi-backend: {failure_p: 1.5}\n"),
     ["run", "FILE"], "failure_p"),
    ("override probability NaN", "s.yaml",
     scenario(extra="overrides:\n  fastapi-backend: {failure_p: .nan}\n"),
     ["run", "FILE"], "failure_p"),
    ("override capacity 0", "s.yaml", scenario(extra="overrides:\n  fastapi-backend: {capacity: 0}\n"),
     ["run", "FILE"], "capacity"),
    ("unknown override plugin", "s.yaml", scenario(extra="overrides:\n  nope: {capacity: 2}\n"),
     ["run", "FILE"], "nope"),
    ("unknown field", "s.yaml", scenario(extra="horizn: 5\n"), ["run", "FILE"], "horizn"),
    ("faults not a list", "s.yaml", scenario(extra="faults: false\n"), ["run", "FILE"], "faults"),
    ("fault end before start", "s.yaml", scenario(
        extra="faults:\n  - {plugin: fastapi-backend, kind: outage, start: 50, end: 10}\n"),
     ["run", "FILE"], "end"),
    ("unknown fault kind", "s.yaml", scenario(
        extra="faults:\n  - {plugin: fastapi-backend, kind: meteor, start: 1, end: 10}\n"),
     ["run", "FILE"], "kind"),
    ("huge workload", "s.yaml", scenario("requests: 20", "requests: 1000000000"), ["run", "FILE"], "memory"),
    ("unbounded horizon", "s.yaml", scenario("requests: 20", "requests: null"), ["run", "FILE"], "requests"),
    ("duplicate saga names", "s.yaml", scenario(extra=(
        "sagas:\n  x: {steps: [{action: create_realm, plugin: lobbi-platform-manager}]}\n"
        "  x: {steps: [{action: create_realm, plugin: lobbi-platform-manager}]}\n")), ["run", "FILE"], "x"),
    ("missing trace file", "s.yaml", scenario("kind: poisson", "kind: trace\n  trace: nowhere.csv"),
     ["validate", "FILE"], "nowhere.csv"),
    # traces
    ("trace with a BOM reads", "t.csv", ("\ufeff" + TRACE).encode("utf-8"), ["validate", "FILE"], "OK"),
    ("trace unknown column", "t.csv", TRACE.replace("generated_tokens", "generated_tokens,colour").replace(
        ",601,5", ",601,5,red"), ["validate", "FILE"], "colour"),
    ("trace duplicate column", "t.csv", TRACE.replace("budget", "text"), ["validate", "FILE"], "text"),
    ("trace absurd tokens", "t.csv", TRACE.replace("601", "1e15"), ["validate", "FILE"], "context_tokens"),
    ("trace infinite time", "t.csv", TRACE.replace("0.1,", "inf,"), ["validate", "FILE"], "time"),
    ("trace absurd time span", "t.csv", TRACE + "1e12,Terraform the AWS infrastructure,,601,5\n",
     ["validate", "FILE"], "time"),
    ("trace negative budget", "t.csv", TRACE.replace(",,601", ",-3,601"), ["validate", "FILE"], "budget"),
    ("trace missing column", "t.csv", "when,text\n1,x\n", ["validate", "FILE"], "time"),
    # catalog
    ("catalog duplicate plugin", "c.yaml", None, ["validate", "FILE", "--kind", "catalog"],
     "fastapi-backend"),
    ("catalog NaN availability", "c.yaml", None, ["validate", "FILE", "--kind", "catalog"], "availability"),
    # command-line options
    ("negative seed", None, None, ["run", "--seed", "-1"], "--seed"),
    ("negative replication", None, None, ["run", "--replication", "-3"], "--replication"),
    ("zero workers", None, None, ["sweep", "--param", "retry.max_retries=0,1", "--workers", "0"],
     "--workers"),
    ("bad load factor", None, None, ["report", "--load-factors", "1,x"], "load_factors"),
    ("infinite slo", None, None, ["report", "--slo-p95", "inf"], "--slo-p95"),
    ("out is a file", None, None, ["run", "--out", "FILE"], "not a folder"),
    ("out under a file", None, None, ["run", "--out", "FILE/sub"], "which is a file"),
    ("parquet without pyarrow", None, None, ["run", "--format", "parquet", "--out", "OUT"], "pyarrow"),
    ("bad sweep value in a worker", None, None,
     ["sweep", "--param", "plugins.fastapi-backend.failure_p=0.1,1.5", "--executor", "processes"],
     "failure_p"),
    ("unknown scenario name", None, None, ["run", "nowhere"], "bundled scenario"),
]


def _catalog_file(case_id: str) -> str:
    data = {"tiers": (DATA / "catalog" / "tiers.yaml").read_text(),
            "lexicon": (DATA / "catalog" / "lexicon.yaml").read_text(),
            "plugins": CATALOG, "agents": (DATA / "catalog" / "agents.yaml").read_text()}
    if case_id == "catalog duplicate plugin":
        data["plugins"] = CATALOG.replace("  - name: lobbi-platform-manager", "  - name: fastapi-backend", 1)
    if case_id == "catalog NaN availability":
        data["plugins"] = CATALOG.replace("availability: 0.98", "availability: .nan", 1)
    return "\n".join(data.values())


def _prepare(tmp_path, case_id, name, content):
    target = tmp_path / (name or "file.txt")
    if case_id.startswith("catalog"):
        target.write_text(_catalog_file(case_id))
    elif isinstance(content, bytes):
        target.write_bytes(content)
    elif content is not None:
        target.write_text(content)
    else:
        target.write_text("a user's own file")
    return target


@pytest.mark.parametrize(("case_id", "name", "content", "command", "expected"), CASES,
                         ids=[c[0] for c in CASES])
def test_each_bad_input_is_one_clear_line_and_exit_2(tmp_path, monkeypatch, capsys, case_id, name, content,
                                                     command, expected):
    from simroute.faces.cli import main

    target = _prepare(tmp_path, case_id, name, content)
    if case_id == "parquet without pyarrow":  # whether or not this machine has it
        import importlib.util

        find_spec = importlib.util.find_spec
        monkeypatch.setattr(importlib.util, "find_spec",
                            lambda name, *a: None if name == "pyarrow" else find_spec(name, *a))
    args = [a.replace("FILE", str(target)).replace("OUT", str(tmp_path / "out")) for a in command]
    monkeypatch.chdir(tmp_path)
    try:
        code = main(args)
    except SystemExit as exc:  # argparse
        code = exc.code
    err = capsys.readouterr().err
    if expected == "OK":
        assert code == 0, err
        return
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("simroute: "), err[-2000:]
    if expected is not None:
        assert expected in lines[0], lines[0]
    if content is None and not case_id.startswith("catalog"):
        assert target.read_text() == "a user's own file"  # nothing of the user's touched
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case_id", ["binary scenario", "negative seed", "bad sweep value in a worker"])
def test_from_a_shell_no_traceback_even_from_a_worker(tmp_path, case_id):
    _, name, content, command, expected = next(c for c in CASES if c[0] == case_id)
    target = _prepare(tmp_path, case_id, name, content)
    args = [a.replace("FILE", str(target)) for a in command]
    done = subprocess.run([sys.executable, "-m", "simroute.faces.cli", *args], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1 and expected in lines[0], done.stderr[-2000:]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(("case_id", "name", "content"),
                         [(c[0], c[1], c[2]) for c in CASES if c[1] == "s.yaml"], ids=lambda v: str(v)[:30])
def test_the_api_raises_the_packages_own_error(tmp_path, case_id, name, content):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(sr.InputError):
        s = sr.Scenario.from_yaml(path)
        sr.run(s)
