"""Outputs are atomic and owned: a user's files survive, a previous output is replaced whole, one
writer at a time, and a killed or interrupted command leaves the previous output or none."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import simroute as sr
from simroute.faces.cli import main
from simroute.io.outputs import MANIFEST, read_manifest

CLI = [sys.executable, "-m", "simroute.faces.cli"]


def check_whole(folder):
    """The folder is a complete simroute output: exactly the files its manifest lists, each with
    its recorded checksum."""
    manifest = read_manifest(folder)
    assert manifest is not None, sorted(p.name for p in folder.iterdir())
    present = {p.name for p in folder.iterdir()}
    assert present == set(manifest["files"]) | {MANIFEST}
    for name, facts in manifest["files"].items():
        data = (folder / name).read_bytes()
        assert len(data) == facts["bytes"] and hashlib.sha256(data).hexdigest() == facts["sha256"]
    return manifest


def test_a_run_writes_a_manifest_of_what_it_wrote(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "outage", "--seed", "3", "--out", str(out)]) == 0
    manifest = check_whole(out)
    assert manifest["command"] == "run" and manifest["seed"] == 3 and manifest["complete"] is True
    assert {"requests.csv", "attempts.csv", "summary.csv"} <= set(manifest["files"])
    assert not list(tmp_path.glob(".out.*"))  # no temporary folder or lock left


def test_a_users_folder_is_refused_and_untouched(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my notes")
    assert main(["run", "outage", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--overwrite" in err[0]
    assert [p.name for p in out.iterdir()] == ["notes.txt"] and (out / "notes.txt").read_text() == "my notes"
    # what --overwrite removes is what --help says: the folder and everything in it
    assert "replace the --out folder and everything in it" in " ".join(
        subprocess.run([*CLI, "run", "--help"], capture_output=True, text=True).stdout.split())
    assert main(["run", "outage", "--out", str(out), "--overwrite"]) == 0
    check_whole(out)
    assert not (out / "notes.txt").exists()


def test_a_previous_output_is_replaced_whole(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", "outage", "--param", "retry.max_retries=0,1", "--replications", "1",
                 "--executor", "serial", "--quiet", "--out", str(out)]) == 0
    assert main(["run", "outage", "--out", str(out)]) == 0  # a previous simroute output: replaced
    manifest = check_whole(out)
    assert manifest["command"] == "run" and not (out / "sweep.csv").exists()


def test_a_second_writer_is_refused_naming_the_lock(tmp_path, capsys):
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (tmp_path / ".out.lock").write_text(str(holder.pid))
        assert main(["run", "outage", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"pid {holder.pid}" in err and ".out.lock" in err and not out.exists()
    finally:
        holder.kill()
        holder.wait()
    assert main(["run", "outage", "--out", str(out)]) == 0  # a lock whose process is gone is taken over


def test_two_concurrent_runs_into_one_folder(tmp_path):
    out = tmp_path / "out"
    first = subprocess.Popen([*CLI, "report", "--load-factors", "1,2", "--replications", "2",
                              "--executor", "serial", "--quiet", "--out", str(out)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while not (tmp_path / ".out.lock").exists() and time.time() < deadline:
        time.sleep(0.05)
    second = subprocess.run([*CLI, "run", "outage", "--out", str(out)], capture_output=True, text=True)
    assert first.wait(timeout=300) == 0
    assert second.returncode == 2 and ".out.lock" in second.stderr and len(second.stderr.splitlines()) == 1
    assert check_whole(out)["command"] == "report"


@pytest.mark.parametrize("command", [
    ["run", "outage", "--seed", "2"],
    ["report", "--load-factors", "1,2", "--replications", "2", "--executor", "serial", "--quiet",
     "--seed", "2"],
])
def test_sigkill_at_any_point_leaves_the_previous_output_or_the_new_one(tmp_path, command):
    out = tmp_path / "out"
    assert main([command[0], *command[1:-2], "--seed", "1", "--out", str(out)]) == 0  # the previous output
    previous = check_whole(out)
    outcomes = set()
    for delay in (0.3, 0.8, 1.3, 2.0, 3.0, 5.0):
        proc = subprocess.Popen([*CLI, *command, "--out", str(out)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if out.exists():
            manifest = check_whole(out)  # never a mix: whole, or not there
            outcomes.add(manifest["seed"])
            assert manifest["seed"] in (previous["seed"], 2)
        else:
            outcomes.add(None)
    assert outcomes  # and the next run cleans up whatever a killed one left
    assert main([*command, "--out", str(out)]) == 0
    assert check_whole(out)["seed"] == 2
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_exits_130_with_one_line_and_keeps_the_previous_output(tmp_path, sig):
    out = tmp_path / "out"
    assert main(["report", "--load-factors", "1", "--replications", "1", "--executor", "serial",
                 "--quiet", "--out", str(out)]) == 0
    before = json.loads((out / MANIFEST).read_text())
    proc = subprocess.Popen([*CLI, "report", "--load-factors", "1,2,3", "--replications", "3",
                             "--executor", "serial", "--quiet", "--seed", "5", "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    proc.send_signal(sig)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, err
    assert len(err.strip().splitlines()) == 1 and "interrupted" in err
    assert json.loads((out / MANIFEST).read_text()) == before
    check_whole(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_import_writes_its_file_atomically(tmp_path, capsys):
    from simroute.policies.catalog import data_dir

    out = tmp_path / "s.yaml"
    config = data_dir() / "litellm" / "example_config.yaml"
    assert main(["import", "litellm", str(config), "--out", str(out)]) == 0
    assert out.is_file() and not [p for p in tmp_path.iterdir() if p.name.startswith(".s.yaml")]
    assert os.access(out, os.R_OK)


@settings(max_examples=12, deadline=None)
@given(raised=st.sampled_from(["input", "enospc", "keyboard", "value", "runtime"]),
       claimed=st.booleans())
def test_whatever_is_raised_inside_an_output_folder_propagates_as_itself(tmp_path_factory, raised, claimed):
    """An exception inside the folder being written (also under the command's claim) comes out as
    itself, the lock is released and the previous output is intact (issue 25: the lock swallowed
    a refusal and failed with 'generator didn't stop after throw()')."""
    import contextlib
    import errno

    from simroute.common.errors import InputError
    from simroute.io.outputs import claim_output, output_folder

    out = tmp_path_factory.mktemp("o") / "out"
    with output_folder(out, command="test", seed=1) as folder:
        (folder / "a.csv").write_text("x\n1\n")
    before = read_manifest(out)
    error = {"input": InputError("refused", field="requests"), "enospc": OSError(errno.ENOSPC, "No space"),
             "keyboard": KeyboardInterrupt(), "value": ValueError("bad"),
             "runtime": RuntimeError("bug")}[raised]
    claim = claim_output(out) if claimed else contextlib.nullcontext()
    with pytest.raises(type(error)) as info:
        with claim, output_folder(out, command="test", seed=2) as folder:
            (folder / "a.csv").write_text("x\n2\n")
            raise error
    assert info.value is error
    assert read_manifest(out) == before and (out / "a.csv").read_text() == "x\n1\n"
    assert not list(out.parent.glob(".out.*")), "the lock and the partial folder are gone"


def test_a_lock_file_appears_with_its_pid_in_it(tmp_path):
    """The lock is created whole: another process never reads it empty and takes it as stale."""
    from simroute.io import outputs

    lock = tmp_path / ".out.lock"
    assert outputs._create_lock(lock)
    assert lock.read_text() == str(os.getpid())
    assert not outputs._create_lock(lock)  # taken
    assert [p.name for p in tmp_path.iterdir()] == [".out.lock"]  # nothing staged is left


def test_a_reader_that_goes_away_ends_the_command_quietly():
    """``simroute … | head``: a closed pipe ends the command with 141 (SIGPIPE) and no traceback."""
    proc = subprocess.Popen([*CLI, "route", "Build a FastAPI endpoint"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    proc.stdout.close()
    with proc.stderr:
        err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert proc.returncode == 141 and not err, err


def test_an_interrupt_in_the_middle_of_the_swap_waits_until_the_new_output_is_in_place(tmp_path, monkeypatch):
    """A SIGTERM (or Ctrl-C) between moving the old output out and the new one in left neither in
    place while saying the previous one was intact (issue 25): the swap now holds the signals."""
    from pathlib import Path

    from simroute.io import outputs

    out = tmp_path / "out"
    with outputs.output_folder(out, command="test", seed=1) as folder:
        (folder / "a.csv").write_text("1\n")

    class Stop(Exception):
        pass

    def stop(signum, frame):
        raise Stop

    real = os.replace

    def replace(src, dst):
        if Path(dst) == out:  # the new output is about to go in: the signal arrives now
            os.kill(os.getpid(), signal.SIGTERM)
        real(src, dst)

    previous = signal.signal(signal.SIGTERM, stop)
    monkeypatch.setattr(outputs.os, "replace", replace)
    try:
        with pytest.raises(Stop):
            with outputs.output_folder(out, command="test", seed=2) as folder:
                (folder / "a.csv").write_text("2\n")
    finally:
        signal.signal(signal.SIGTERM, previous)
        monkeypatch.undo()
    assert (out / "a.csv").read_text() == "2\n" and read_manifest(out)["seed"] == 2
    assert outputs.WRITTEN[-1] == out


def test_a_full_disk_is_one_line_and_leaves_the_previous_output(tmp_path, monkeypatch, capsys):
    """ENOSPC while writing a sweep's tables was a raw OSError traceback (issue 25)."""
    import errno

    from simroute.faces import cli

    out = tmp_path / "out"
    command = ["sweep", "--param", "retry.max_retries=0,1", "--replications", "1", "--executor", "serial",
               "--quiet", "--out", str(out)]
    assert main(command) == 0
    before = read_manifest(out)

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(out / "sweep.csv"))

    monkeypatch.setattr(cli, "write_csv", full)
    assert main(command) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0], err
    assert read_manifest(out) == before


def test_the_command_line_says_its_version_and_suggests_names(capsys):
    from simroute.faces.cli import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"simroute {sr.__version__} (") and "Python" in out and "simpy" in out
    assert main(["run", "defualt"]) == 2
    assert "did you mean 'default'?" in capsys.readouterr().err
    assert main(["sweep", "--param", "breaker.failure_treshold=3,5", "--executor", "serial"]) == 2
    assert "did you mean 'failure_threshold'?" in capsys.readouterr().err


def test_run_on_a_litellm_config_says_to_import_it(capsys):
    from simroute.faces.cli import main

    config = sr.catalog.data_dir() / "litellm" / "example_config.yaml"
    assert main(["run", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "simroute import litellm" in err and "model_list" in err
