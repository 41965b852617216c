"""Write outputs atomically: a reader (or Snakemake) sees the old file or the complete new one, never half.

A full disk or a file-size limit (`ulimit -f`; Python ignores SIGXFSZ, so the write fails with EFBIG) while
writing becomes one message naming the file, and the partial `.tmp` file is removed. HDF5 stores are written
through `regformer.io.stores.new_hdf5`, which keeps HDF5 from crashing on such a write.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from regformer.errors import InputError

DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
# HDF5 reports the C library's error inside its own message (h5py's OSError then carries no errno)
DISK_FULL_WORDS = ("No space left on device", "File too large", "Disk quota exceeded", "errno = 28", "errno = 27")


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` (or an exception it was raised from) says the disk or the file-size limit is full."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, OSError) and (exc.errno in DISK_FULL_ERRNOS or any(w in str(exc) for w in DISK_FULL_WORDS)):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _reason(exc: BaseException) -> str:
    """The system's words for the error (e.g. 'File too large'), else the first line of its message."""
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return os.strerror(exc.errno)
    return str(exc).splitlines()[0][:200]


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to `path`; rename it onto `path` if the block succeeds, delete it if not."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    except Exception as exc:
        if is_disk_full(exc):
            raise InputError(path, f"the disk is full, or a file-size limit (ulimit -f) was reached, while writing "
                             f"it ({_reason(exc)}); the partial file was removed",
                             f"free space where it is written (df -h {path.parent}) or raise the limit, then rerun "
                             "the same command") from exc
        raise
    finally:
        tmp.unlink(missing_ok=True)
