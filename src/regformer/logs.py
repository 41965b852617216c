"""Send everything a Snakemake script prints or logs to its rule's log file."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import traceback
from pathlib import Path


def _log_job_context() -> None:
    """Record where the job ran: host, and under SLURM the job id, partition and visible GPUs."""
    env = os.environ
    context = f"host={socket.gethostname()} pid={os.getpid()}"
    if "SLURM_JOB_ID" in env:
        context += (f" slurm_job_id={env['SLURM_JOB_ID']} slurm_partition={env.get('SLURM_JOB_PARTITION', '?')}"
                    f" slurm_restart_count={env.get('SLURM_RESTART_COUNT', '0')}")
    context += f" CUDA_VISIBLE_DEVICES={env.get('CUDA_VISIBLE_DEVICES', '')}"
    logging.getLogger("regformer.job").info(context)


@contextlib.contextmanager
def log_to(path: str | Path):
    """Route logging, stdout and stderr into `path`; on error, write the message to the log and to the console."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    console = sys.__stderr__
    with open(path, "w", buffering=1) as fh:
        handler = logging.StreamHandler(fh)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        _log_job_context()
        try:
            with contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
                yield
        except Exception as err:
            traceback.print_exc(file=fh)
            print(f"\nregformer error: {err}\n(full log: {path})", file=console)
            raise
        finally:
            root.removeHandler(handler)
