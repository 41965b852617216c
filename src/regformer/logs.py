"""Send everything a Snakemake script prints or logs to its rule's log file.

A failing job prints its one-paragraph message to the console, last and alone; the traceback goes to the log
file (and to the console too with REGFORMER_VERBOSE=1 or `regformer train --verbose`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import time
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


VERBOSE_ENV = "REGFORMER_VERBOSE"
PROGRESS = "regformer.progress"  # what this logger says goes to the log and, one line each, to the console


def progress() -> logging.Logger:
    """The logger for the progress of long steps (epochs with validation metrics, lines read): the console shows it."""
    return logging.getLogger(PROGRESS)


class Progress:
    """`[where: ]done/total unit (pct%)` of a long step on the console (via progress()): a line at each tenth, or
    after `every` seconds without one, and at the end, so a user sees it move whatever its size in about ten lines."""

    def __init__(self, total: int, unit: str, where: str = "", every: float = 60.0):
        self.total, self.unit, self.every = max(int(total), 0), unit, every
        self.prefix = f"{where}: " if where else ""
        self.done, self._shown_tenth, self._shown_at = 0, 0, time.monotonic()

    def advance(self, n: int = 1) -> None:
        """Count `n` more units done; log when a new tenth is reached (the last unit included) or time says so."""
        self.done += int(n)
        tenth = 10 * self.done // self.total if self.total else 10
        if tenth > self._shown_tenth or time.monotonic() - self._shown_at >= self.every:
            self._shown_tenth, self._shown_at = tenth, time.monotonic()
            share = f" ({100 * self.done // self.total}%)" if self.total else ""
            progress().info("%s%s/%s %s%s", self.prefix, f"{self.done:,}", f"{self.total:,}", self.unit, share)

    def each(self, items):
        """Yield `items`, counting one done as the loop body of each finishes (when the next item is asked for)."""
        for item in items:
            yield item
            self.advance()


def _label(path: Path) -> str:
    """A job's name on the console: its log path below logs/ (promoter/demo/legnet/train), else the file's stem."""
    parts = path.with_suffix("").parts
    return "/".join(parts[parts.index("logs") + 1:]) if "logs" in parts[:-1] else path.stem


def verbose() -> bool:
    """Whether tracebacks go to the console too (REGFORMER_VERBOSE=1)."""
    return os.environ.get(VERBOSE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def error_message(err: BaseException, path: Path) -> str:
    """What the console shows of a failed job: the error itself, then where the full log is."""
    hint = "" if verbose() else f"; {VERBOSE_ENV}=1 shows the traceback here"
    return f"\nregformer error: {err}\n(traceback in {path}{hint})"


class _Tee:
    """A text stream writing to several files (a job's log and its run's history)."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()

    def isatty(self) -> bool:
        return False


@contextlib.contextmanager
def log_to(path: str | Path, append: bool = False, history: str | Path | None = None):
    """Route logging, stdout and stderr into `path` (appended to with `append`), and also into `history` when given,
    always appended (Snakemake deletes a rule's log when the job starts again, so a training run keeps the log of
    every run, resumes included, in its own folder); on error, exit with status 1 after writing the traceback to
    the log and the message, alone and last, to the console."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    console = sys.__stderr__
    with contextlib.ExitStack() as files:
        fh = files.enter_context(open(path, "a" if append else "w", buffering=1))
        streams = [fh]
        if history is not None:
            Path(history).parent.mkdir(parents=True, exist_ok=True)
            streams.append(files.enter_context(open(history, "a", buffering=1)))
        for stream in streams:
            if stream.tell() > 0:
                stream.write("\n")
        out = _Tee(*streams) if len(streams) > 1 else fh
        handler = logging.StreamHandler(out)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger()
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        shown = logging.StreamHandler(console)
        shown.setFormatter(logging.Formatter(f"[{_label(path)}] %(message)s"))
        progress().addHandler(shown)
        _log_job_context()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                yield
        except Exception as err:
            traceback.print_exc(file=out)
            print(f"regformer error: {err}", file=out)
            with contextlib.suppress(OSError):  # the console may be gone (a closed SSH session)
                if verbose():
                    traceback.print_exc(file=console)
                print(error_message(err, path), file=console, flush=True)
            raise SystemExit(1) from None
        finally:
            root.removeHandler(handler)
            progress().removeHandler(shown)
