"""What every chain reads and writes the same way: a store's JSON summary, and strict-JSON metrics files."""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Iterator
from pathlib import Path

import h5py

from regformer.io.atomic import atomic_path


def store_summary(store_path: str | Path) -> dict:
    """The store's JSON summary attribute (e.g. maps, bin_size, n_bins for Hi-C; split fractions for promoters)."""
    with h5py.File(store_path, "r") as h5:
        return json.loads(h5.attrs["summary"])


def json_ready(value):
    """NaN / inf (e.g. the Pearson of a constant prediction) -> None, so metrics.json is strict JSON."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_metrics(path: str | Path, metrics: dict) -> None:
    """metrics.json of any chain, atomically and as strict JSON (NaN -> null)."""
    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(json_ready(metrics), indent=2, allow_nan=False))


class _WriteGuard:
    """The file under h5py's file-object driver: the first failed write (disk or file-size limit full) is raised
    and remembered, and later writes are dropped as if done, so that HDF5 can still close the file. (Through its
    own driver, HDF5 keeps such a file half-open and crashes the process with SIGSEGV when closing it.)"""

    def __init__(self, path: str | Path):
        # unbuffered: with a buffer, a seek or read would flush pending bytes and fail where HDF5 cannot cope
        self.file = open(path, "w+b", buffering=0)  # noqa: SIM115 (closed by new_hdf5, or collected after an error)
        self.error: OSError | None = None

    def _guarded(self, call, *args):
        if self.error is None:
            try:
                return call(*args)
            except OSError as exc:
                self.error = exc
        return None

    def _write_all(self, view: memoryview) -> None:
        while len(view):  # a raw write may write part of the bytes
            view = view[self.file.write(view):]

    def write(self, data) -> int:
        view = memoryview(data).cast("B")
        self._guarded(self._write_all, view)
        return len(view)

    def truncate(self, size=None):
        return self._guarded(self.file.truncate, size)

    def flush(self) -> None:
        self._guarded(self.file.flush)

    def read(self, size: int = -1) -> bytes:
        return self.file.read(size)

    def readinto(self, buffer) -> int:
        return self.file.readinto(buffer)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self.file.seek(offset, whence)

    def tell(self) -> int:
        return self.file.tell()


_GUARDS: dict = {}  # open new_hdf5 files (their h5py FileID) -> their _WriteGuard


@contextlib.contextmanager
def new_hdf5(tmp: str | Path) -> Iterator[h5py.File]:
    """A new HDF5 file at `tmp` (atomic_path's temporary) for writing, closed when the block ends; a full disk or
    file-size limit raises OSError (ENOSPC / EFBIG) at the first failed write, which atomic_path turns into a
    message, instead of a crash."""
    guard = _WriteGuard(tmp)
    with h5py.File(guard, "w") as h5:
        _GUARDS[h5.id] = guard
        try:
            yield h5
        finally:
            del _GUARDS[h5.id]
    # here only when the block succeeded: after an error HDF5 may still close objects through the file, so it is
    # left to the garbage collector (atomic_path has removed it from the folder by then)
    guard.flush()
    guard.file.close()
    if guard.error is not None:  # a failed write that HDF5 only logged
        raise guard.error


def check_writes(h5: h5py.File) -> None:
    """Raise the first failed write of a new_hdf5 file now, so a long build stops at once rather than at its end."""
    guard = _GUARDS.get(h5.id)
    if guard is not None and guard.error is not None:
        raise guard.error
