"""Reading sequence inputs (FASTA or TSV) and writing the apply stage's tables and HDF5 files atomically."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.io.stores import new_hdf5

FASTA_SUFFIXES = (".fa", ".fasta", ".fna", ".fa.gz", ".fasta.gz")


def read_sequences(path: str | Path) -> tuple[list[str], list[str]]:
    """(ids, sequences) of a FASTA (pyfaidx) or a TSV with a `sequence` column (and optional `id`), or of a
    headerless one-column file of sequences (ids seq1, seq2, ...)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file", "check the apply: entry of the config")
    if path.name.endswith(FASTA_SUFFIXES):
        import pyfaidx

        try:
            fasta = pyfaidx.Fasta(str(path), as_raw=True)
        except (pyfaidx.FastaIndexingError, ValueError) as err:
            raise InputError(path, f"cannot read the FASTA ({err})", "give plain FASTA records (>id, then bases)") from err
        ids = list(fasta.keys())
        return ids, [str(fasta[name][:]) for name in ids]
    frame = pd.read_csv(path, sep="\t", dtype=str, header=None, comment="#", keep_default_na=False)
    if frame.empty:
        raise InputError(path, "has no sequences", "give one sequence per line, or a TSV with a sequence column")
    if "sequence" in frame.iloc[0].tolist():
        frame = frame.iloc[1:].set_axis(frame.iloc[0].tolist(), axis=1)
        ids = frame["id"].tolist() if "id" in frame else [f"seq{i + 1}" for i in range(len(frame))]
        return ids, frame["sequence"].tolist()
    if frame.shape[1] != 1:
        raise InputError(path, f"has {frame.shape[1]} columns but no header naming a `sequence` column",
                         "add a header line with `id` and `sequence`, or give one sequence per line")
    return [f"seq{i + 1}" for i in range(len(frame))], frame[0].tolist()


def read_table(path: str | Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A TSV with a header holding at least `columns` (all read as text)."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "no such file", "check the apply: entry of the config")
    frame = pd.read_csv(path, sep="\t", dtype=str, comment="#", keep_default_na=False)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(path, f"lacks the column(s) {missing} (has {list(frame.columns)})",
                         f"give a tab-separated file with a header naming {', '.join(columns)}")
    return frame


def write_tsv(frame: pd.DataFrame, path: str | Path) -> None:
    """A TSV, atomically (floats with 6 significant digits)."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, sep="\t", index=False, float_format="%.6g")


def write_h5(path: str | Path, datasets: dict, attrs: dict | None = None) -> None:
    """An HDF5 file of named arrays (text arrays stored as UTF-8), atomically."""
    with atomic_path(path) as tmp, new_hdf5(tmp) as h5:
        for name, values in datasets.items():
            values = np.asarray(values)
            if values.dtype.kind in "UO":
                values = values.astype(h5py.string_dtype())
            h5.create_dataset(name, data=values)
        for key, value in (attrs or {}).items():
            h5.attrs[key] = value
