"""Several training processes (DDP ranks) on one run folder: rank 0 alone touches the files, the others follow it.

Lightning starts the extra ranks itself (its subprocess launcher reruns `regformer train` with LOCAL_RANK set)
or srun starts every rank at once (SLURM_PROCID). Either way each rank runs the whole command, so everything that
reads or writes the run folder asks `is_global_zero()` first. The one decision the other ranks need before the
process group exists (which checkpoint to resume from, after rank 0 has moved stale checkpoints aside) goes through
a small file that rank 0 writes and the others wait for: `checkpoints/resume.json`, stamped with this launch's
token so that an old file from an earlier run is never taken for this one.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from lightning.fabric.utilities.rank_zero import rank_zero_only

from regformer.io.atomic import atomic_path

TOKEN_ENV = "REGFORMER_RUN_TOKEN"
RESUME_NAME = "resume.json"
WAIT_SECONDS = 900


def global_rank() -> int:
    """This process's global rank: Lightning's (set by its strategy, read from RANK / LOCAL_RANK / SLURM_PROCID
    before one exists), 0 in a single-process run."""
    return int(getattr(rank_zero_only, "rank", 0) or 0)


def is_global_zero() -> bool:
    return global_rank() == 0


def launch_token() -> str:
    """One string shared by every rank of this launch: the SLURM job step (srun starts all ranks with it), else a
    fresh id that rank 0 puts in the environment, which Lightning's launcher hands to the ranks it starts."""
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    if "SLURM_JOB_ID" in os.environ and "SLURM_STEP_ID" in os.environ:
        token = "slurm-{}.{}.{}".format(os.environ["SLURM_JOB_ID"], os.environ["SLURM_STEP_ID"],
                                        os.environ.get("SLURM_RESTART_COUNT", "0"))
    else:
        token = uuid.uuid4().hex
    os.environ[TOKEN_ENV] = token
    return token


def publish_resume(run_dir: Path, checkpoint: Path | None) -> None:
    """Rank 0: tell the other ranks of this launch which checkpoint to resume from (None: a fresh start)."""
    with atomic_path(run_dir / "checkpoints" / RESUME_NAME) as tmp:
        tmp.write_text(json.dumps({"token": launch_token(), "checkpoint": str(checkpoint) if checkpoint else None}))


def await_resume(run_dir: Path, timeout: float = WAIT_SECONDS) -> Path | None:
    """Other ranks: the checkpoint rank 0 chose for this launch, once it has written it."""
    path, token = run_dir / "checkpoints" / RESUME_NAME, launch_token()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            choice = json.loads(path.read_text())
        except (OSError, ValueError):
            choice = None
        if choice is not None and choice.get("token") == token:
            return Path(choice["checkpoint"]) if choice["checkpoint"] else None
        time.sleep(0.2)
    raise RuntimeError(f"rank {global_rank()}: rank 0 did not say within {timeout:.0f} s which checkpoint to resume "
                       f"from ({path}); see rank 0's log (train.log) for why it stopped")
