"""Send everything a Snakemake script prints or logs to its rule's log file."""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
from pathlib import Path


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
        try:
            with contextlib.redirect_stdout(fh), contextlib.redirect_stderr(fh):
                yield
        except Exception as err:
            traceback.print_exc(file=fh)
            print(f"\nregformer error: {err}\n(full log: {path})", file=console)
            raise
        finally:
            root.removeHandler(handler)
