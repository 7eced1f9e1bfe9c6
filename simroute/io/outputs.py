"""Output folders that are atomic and owned: never half-written, never mixed, never the user's.

Every command that writes a folder (``run``, ``report``, ``replay``, ``sweep``, ``tune`` with
``--out``; :func:`~simroute.faces.report.report` and :func:`~simroute.experiments.replay.replay` with ``out``)
writes through :func:`output_folder`:

* **Atomic.** Files are written into a temporary sibling folder (``.NAME.partial-PID``). Only
  when every file is written is a manifest added (``simroute.json``: the command, simroute's
  version, the seed, each file's size and SHA-256, ``"complete": true``) and the folder renamed
  into place. A previous output is moved aside first and removed after, so that at any instant the
  target is either the previous complete output, absent, or the new complete output — never a
  mix. A run that is interrupted (Ctrl-C, SIGTERM, SIGKILL) leaves the previous output as it was;
  its temporary folder is removed, or (after SIGKILL) removed by the next run into the same place.
* **Owned.** A target that exists and holds anything but a previous simroute output (a folder with a
  complete ``simroute.json``) is refused unless ``overwrite``: then the folder and everything in it
  is replaced. A previous simroute output is replaced whole (no stale files).
* **One writer.** A lock file beside the target (``.NAME.lock``, holding the writer's PID) makes a
  second writer into the same folder fail at once, naming the lock. A lock whose process is gone
  is taken over.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..common.errors import InputError

__all__ = ["output_folder", "claim_output", "MANIFEST", "read_manifest", "is_simroute_output", "write_file",
           "check_file"]

MANIFEST = "simroute.json"


def read_manifest(folder: str | Path) -> dict[str, Any] | None:
    """The manifest of a simroute output folder (None: no readable, complete manifest).

    Parameters:
        folder: the folder.

    Returns:
        The manifest as a dict, or None.
    """
    path = Path(folder) / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("complete") is True else None


def is_simroute_output(folder: str | Path) -> bool:
    """Whether ``folder`` holds a complete simroute output and nothing else.

    Parameters:
        folder: the folder.

    Returns:
        True when its files are exactly those its manifest lists (plus the manifest).
    """
    manifest = read_manifest(folder)
    if manifest is None:
        return False
    listed = set(manifest.get("files", {})) | {MANIFEST}
    present = {p.relative_to(folder).as_posix() for p in Path(folder).rglob("*") if p.is_file()}
    return present <= listed


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(lock: Path) -> int:
    """The pid a lock file names (0: none, unreadable or not a pid)."""
    try:
        return int(lock.read_text().strip() or "0")
    except (OSError, ValueError):
        return 0


def _create_lock(lock: Path) -> bool:
    """Create ``lock`` holding this process's pid, atomically: the file appears with the pid in it
    (written beside it, then hard-linked in place), so no other process can read it empty. False:
    it exists already."""
    pid = os.getpid()
    staged = lock.with_name(f"{lock.name}.{pid}")
    staged.write_text(str(pid))
    try:
        os.link(staged, lock)
        return True
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: create exclusively, then write
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as fh:
            fh.write(str(pid))
        return True
    finally:
        staged.unlink(missing_ok=True)


@contextlib.contextmanager
def _lock(target: Path) -> Iterator[None]:
    lock = target.parent / f".{target.name}.lock"
    if _holder(lock) == os.getpid():
        yield  # this process holds it already (claim_output around output_folder)
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(2):
        if _create_lock(lock):
            break
        pid = _holder(lock)
        if pid and _alive(pid) and pid != os.getpid():
            raise InputError(f"another simroute (pid {pid}) is writing this folder; its lock is {lock}",
                             file=str(target), field="out")
        lock.unlink(missing_ok=True)  # a lock left by a process that is gone
    else:
        raise InputError(f"cannot take the lock {lock}", file=str(target), field="out")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


#: output folders this process has put in place, in order (an interrupted command's message reads it)
WRITTEN: list[Path] = []


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block ends (in the main thread, where Python handles
    them): what they interrupt then is whole. Their handlers are swapped for one that notes them,
    and each noted signal is raised again, to the handler it was meant for, once the block is done.
    (A signal mask would not do: it holds the signal for one thread only, and a process-directed
    signal can land on any other thread, whose note Python then acts on in the main thread.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def note(signum: int, _frame: object) -> None:
        pending.append(signum)

    previous = {s: signal.signal(s, note) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        for signum in dict.fromkeys(pending):
            signal.raise_signal(signum)


def _check_parent(target: Path) -> None:
    """The nearest existing folder above ``target`` is a folder this process can write in."""
    parent = target.parent
    for p in (parent, *parent.parents):
        if p.exists():
            if not p.is_dir():
                raise InputError(f"lies under {p}, which is a file", file=str(target), field="out")
            if not os.access(p, os.W_OK | os.X_OK):
                raise InputError(f"cannot write in {p} (permission denied)", file=str(target), field="out")
            break


def _check_target(target: Path, overwrite: bool) -> None:
    if target.exists() and not target.is_dir():
        raise InputError("exists and is not a folder", file=str(target), field="out")
    _check_parent(target)
    if target.is_dir() and any(target.iterdir()) and not overwrite and not is_simroute_output(target):
        raise InputError("holds files simroute did not write; give --overwrite to replace the folder and "
                         "everything in it", file=str(target), field="out")


@contextlib.contextmanager
def claim_output(target: str | Path | None, overwrite: bool = False) -> Iterator[None]:
    """Check ``target`` and hold its lock for a whole command (simulation included), so that a
    second writer is refused at once rather than after its work; :func:`output_folder` inside
    writes under the same lock. None: nothing to claim.

    Parameters:
        target: the output folder (None: none).
        overwrite: as for :func:`output_folder`.

    Yields:
        Nothing.

    Raises:
        InputError: as :func:`output_folder`.
    """
    if target is None:
        yield
        return
    target = Path(target)
    _check_target(target, overwrite)
    with _lock(target):
        yield


class _Folder:
    """The temporary folder being written, and what goes in its manifest."""

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self.manifest = manifest

    def __truediv__(self, name: str) -> Path:
        return self.path / name


@contextlib.contextmanager
def output_folder(target: str | Path, *, command: str, overwrite: bool = False,
                  **facts: Any) -> Iterator[_Folder]:
    """Write an output folder atomically (see the module docstring).

    ``with output_folder("out", command="run", seed=3) as folder: write(folder / "a.csv")`` —
    inside, write every file under ``folder``; on a normal exit the manifest is added and the
    folder moved into place; on an exception nothing of it remains.

    Parameters:
        target: the folder to produce.
        command: what wrote it (in the manifest).
        overwrite: replace a target that holds files simroute did not write.
        facts: more manifest entries (seed, scenario …).

    Yields:
        The temporary folder (``folder / NAME`` is a path in it; ``folder.manifest`` can take more
        entries).

    Raises:
        InputError: a target that is a file, lies under a file, is not writable, holds the user's
            files (without ``overwrite``), or is being written by another simroute.
    """
    from ..common.version import __version__

    target = Path(target)
    _check_target(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _lock(target):
        for pattern in (f".{target.name}.partial-*", f".{target.name}.old-*"):  # left by a killed run
            for stale in target.parent.glob(pattern):
                pid = stale.name.rsplit("-", 1)[-1]
                if not (pid.isdigit() and _alive(int(pid))):
                    shutil.rmtree(stale, ignore_errors=True)
        tmp = target.parent / f".{target.name}.partial-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        folder = _Folder(tmp, {"command": command, "version": __version__,
                               "python": sys.version.split()[0], **facts})
        try:
            yield folder
            files = {p.relative_to(tmp).as_posix(): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
                     for p in sorted(tmp.rglob("*")) if p.is_file()}
            manifest = {**folder.manifest, "files": files, "complete": True}
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8")
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            shutil.rmtree(old, ignore_errors=True)
            with _signals_held():  # the old output out, the new one in: never cut in two
                if target.exists():
                    os.replace(target, old)
                os.replace(tmp, target)
                WRITTEN.append(target)
            shutil.rmtree(old, ignore_errors=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def check_file(target: str | Path, overwrite: bool = False) -> None:
    """Refuse a file target :func:`write_file` could not write: a folder, a path under a file, a
    folder this process cannot write in, or a file that exists (without ``overwrite``).

    Parameters:
        target: the file to write.
        overwrite: a file that exists may be replaced.

    Raises:
        InputError: naming the target and the reason.
    """
    target = Path(target)
    if target.is_dir():
        raise InputError("is a folder; give the file to write", file=str(target), field="out")
    if target.exists() and not overwrite:
        raise InputError("exists; give --overwrite to replace it", file=str(target), field="out")
    _check_parent(target)


def write_file(target: str | Path, text: str, *, overwrite: bool = False,
               check: Callable[[Path], Any] | None = None) -> Path:
    """Write one text file atomically: checked first (not a folder, not under a file, a folder this
    process can write in, not replacing a file without ``overwrite``), written beside it, checked
    by ``check(path)`` there, then moved into place with the mode a new file gets (the umask's).

    Parameters:
        target: the file to write.
        text: its content (UTF-8).
        overwrite: replace a file that exists.
        check: called with the written temporary file before it replaces anything; an
            :class:`InputError` it raises leaves nothing behind.

    Returns:
        ``target``.

    Raises:
        InputError: a bad target, or what ``check`` raised.
    """
    target = Path(target)
    check_file(target, overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # as open() would create it (mkstemp makes it 0600)
        if check is not None:
            check(Path(tmp))
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target
