"""One trainer per run folder, and no trainer outliving the Snakemake that started it.

`run_lock(run_dir)` holds `run_dir/train.lock` (pid, host, start) for the whole training: a second
`regformer train` on the same checkpoints is refused while the first one lives, and a lock left by a
process that died on this host is taken over. `ParentWatch` stops a trainer whose Snakemake process
has gone (killed with the SSH session that ran it): it lets the epoch finish, so last.ckpt is written,
then stops, and the run fails with a message saying that rerunning resumes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import time
from pathlib import Path

import lightning as L

from regformer.errors import InputError

log = logging.getLogger(__name__)
LOCK_NAME = "train.lock"


class RunLocked(InputError):
    """Another live trainer holds the run folder."""


class ParentGone(RuntimeError):
    """The Snakemake process that started this trainer has died; the checkpoint is saved, rerun to resume."""


def _start_time(pid: int) -> str | None:
    """The kernel's start time of `pid` (field 22 of /proc/pid/stat), so a reused pid is told apart; None off Linux."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, start: str | None) -> bool:
    """Whether process `pid` on this host still runs and is the same process (same start time) as recorded."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    now = _start_time(pid)
    return start is None or now is None or now == start


def _is_rank_zero() -> bool:
    """Extra DDP processes (srun tasks, Lightning's spawned ranks) share rank 0's lock instead of taking one."""
    return all(int(os.environ.get(k, "0") or 0) == 0 for k in ("SLURM_PROCID", "LOCAL_RANK", "RANK", "NODE_RANK"))


def _holder(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def run_lock(run_dir: str | Path):
    """Hold `run_dir/train.lock` while the body runs; refuse (RunLocked) if a live trainer holds it."""
    run_dir = Path(run_dir)
    if not _is_rank_zero():
        yield None
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK_NAME
    me = {"pid": os.getpid(), "host": socket.gethostname(), "start": _start_time(os.getpid()),
          "since": time.strftime("%Y-%m-%d %H:%M:%S")}
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _holder(path)
            if holder is None:  # written half by a process killed mid-write, or unreadable
                log.warning("unreadable lock %s: taking it over", path)
            elif holder.get("host") != me["host"]:
                raise RunLocked(path, f"a trainer on host {holder.get('host')} (pid {holder.get('pid')}, since "
                                f"{holder.get('since')}) holds this run folder",
                                f"wait for it, or stop it there (kill {holder.get('pid')} on {holder.get('host')}); "
                                f"if it is gone, delete {path} and rerun") from None
            elif _alive(int(holder["pid"]), holder.get("start")):
                raise RunLocked(path, f"another trainer (pid {holder['pid']} on {holder['host']}, since "
                                f"{holder.get('since')}) is training in {run_dir}",
                                f"wait for it to finish, or stop it with `kill {holder['pid']}` and rerun "
                                "(training resumes from its last checkpoint)") from None
            else:
                log.warning("taking over the stale lock of pid %s (no longer running): %s", holder.get("pid"), path)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        with os.fdopen(fd, "w") as fh:
            json.dump(me, fh)
        break
    else:
        raise RunLocked(path, "could not take the lock (another trainer keeps taking it)", "rerun in a moment")
    try:
        yield path
    finally:
        if (_holder(path) or {}).get("pid") == me["pid"]:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()


def _snakemake_ancestors() -> list[tuple[int, str | None]]:
    """(pid, start time) of this process's ancestors up to the first Snakemake one; just the parent if none is."""
    chain, pid = [], os.getppid()
    while pid > 1:
        chain.append((pid, _start_time(pid)))
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        if any(os.path.basename(a).startswith("snakemake") for a in argv[:3]):  # snakemake, python -m snakemake
            return chain
        pid = int(stat.rsplit(")", 1)[1].split()[1])
    return chain[:1]


class ParentWatch(L.Callback):
    """Stop training at the end of the epoch (after its checkpoint) once the Snakemake that started it is gone.

    Watched: the ancestors up to the nearest Snakemake process (the shell between them included), or only
    the parent when no Snakemake is above (a trainer started by hand).
    """

    def __init__(self):
        self.ancestors = _snakemake_ancestors()
        self.parent = os.getppid()
        self.gone: tuple[int, str | None] | None = None

    def parent_gone(self) -> bool:
        if os.getppid() != self.parent:
            self.gone = (self.parent, None)
        else:
            self.gone = next(((p, s) for p, s in self.ancestors if not _alive(p, s)), None)
        return self.gone is not None

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # every DDP rank must stop at the same epoch (a rank left waiting for the others would hang the job): stop
        # when any rank's starter is gone
        gone = trainer.strategy.reduce_boolean_decision(self.parent_gone(), all=False)
        if gone and self.gone is None:
            self.gone = (-1, None)  # another rank's starter
        if gone:
            log.error("the process that started this trainer (pid %s) is gone: stopping after epoch %d",
                      self.gone[0], trainer.current_epoch)
            trainer.should_stop = True
