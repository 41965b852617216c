"""Stream random-promoter libraries (DREAM `sequence<TAB>expression`, or a CSV/TSV table) in chunks.

The DREAM 2022 training file has 6.7 M lines, so nothing here reads a whole file at once: callers get
(sequences, expression, first_line_number) chunks and memory stays bounded by the chunk size.
"""

from __future__ import annotations

import csv
import gzip
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from regformer.errors import InputError

_VALID = re.compile(r"[ACGTNacgtn]+")


@dataclass
class PromoterChunk:
    """A block of consecutive records; `first_line` is the 1-based file line of the first record."""

    sequences: list[str]
    expression: np.ndarray
    first_line: int


def _separator(path: Path) -> str:
    name = path.name.lower().removesuffix(".gz")
    return "," if name.endswith(".csv") else "\t"


def _reader(path: Path, fmt: str, sequence_column: str | None, expression_column: str | None, chunk_size: int):
    common = dict(chunksize=chunk_size, compression="infer", dtype=str, keep_default_na=False, engine="c")
    if fmt == "dream":
        return pd.read_csv(path, sep="\t", header=None, names=["sequence", "expression"], quoting=csv.QUOTE_NONE, **common), 1
    if fmt == "table":
        header = pd.read_csv(path, sep=_separator(path), nrows=0, compression="infer").columns
        missing = [c for c in (sequence_column, expression_column) if c not in header]
        if missing:
            raise InputError(path, f"column(s) {missing} not in the header (columns are: {list(header)})",
                             "set sequence_column / expression_column of this dataset in config.yaml to existing columns")
        reader = pd.read_csv(path, sep=_separator(path), usecols=[sequence_column, expression_column], **common)
        return reader, 2
    raise InputError(path, f"unknown promoter format {fmt!r}", "use format: dream or format: table")


def iter_promoter_chunks(path: str | Path, fmt: str = "dream", sequence_column: str | None = None,
                         expression_column: str | None = None, chunk_size: int = 200_000) -> Iterator[PromoterChunk]:
    """Yield validated chunks of (sequence, expression) from a promoter library.

    Raises InputError naming the file and line for: empty files, ragged lines, missing columns,
    non-numeric or missing expression, letters outside ACGTN, and truncated or corrupt gzip.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file does not exist", "check the dataset's path: in config.yaml")
    if path.stat().st_size == 0:
        raise InputError(path, "file is empty", "point the dataset at a non-empty promoter library")
    n_seen = 0
    try:
        reader, line_offset = _reader(path, fmt, sequence_column, expression_column, chunk_size)
        with reader:
            for frame in reader:
                if fmt == "table":
                    frame = frame.rename(columns={sequence_column: "sequence", expression_column: "expression"})
                first_line = n_seen + line_offset
                if fmt == "dream" and n_seen == 0:
                    _refuse_header(path, frame)
                yield _validated(path, frame, first_line)
                n_seen += len(frame)
    except pd.errors.EmptyDataError as err:
        raise InputError(path, f"no records could be read ({err})", "point the dataset at a non-empty promoter library") from err
    except pd.errors.ParserError as err:
        raise InputError(path, f"ragged line: {err}", f"every line must have the same fields ({_expected(fmt)})") from err
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise InputError(path, f"truncated or corrupt compressed file after {n_seen} records ({err})",
                         "download the file again (or gunzip -t it to check)") from err
    if n_seen == 0:
        raise InputError(path, "file has no records", "point the dataset at a non-empty promoter library")


def _refuse_header(path: Path, frame: pd.DataFrame) -> None:
    """A DREAM file has no header: a first line that is not a sequence and has no number is one (say so, rather
    than blame its letters)."""
    seq, value = str(frame["sequence"].iloc[0]), str(frame["expression"].iloc[0])
    if _VALID.fullmatch(seq) or np.isfinite(pd.to_numeric(pd.Series([value]), errors="coerce").iloc[0]):
        return
    raise InputError(path, f"line 1 looks like a header row ({seq!r}, {value!r}), but format: dream files have no header",
                     "delete the first line (`tail -n +2 FILE > NEW`), or set format: table with sequence_column: "
                     f"{seq} and expression_column: {value} for this dataset")


def _expected(fmt: str) -> str:
    return "sequence<TAB>expression, no header" if fmt == "dream" else "a header row and one value per column"


def _validated(path: Path, frame: pd.DataFrame, first_line: int) -> PromoterChunk:
    sequences = frame["sequence"]
    bad_sequence = ~sequences.str.fullmatch(_VALID)
    if bad_sequence.any():
        i = int(np.flatnonzero(bad_sequence.to_numpy())[0])
        seq = sequences.iloc[i]
        where = next((f"character {seq[j]!r} at position {j + 1}" for j in range(len(seq)) if not _VALID.fullmatch(seq[j])), "an empty sequence")
        raise InputError(path, f"line {first_line + i}: sequence has {where} (allowed: A, C, G, T, N in any case)",
                         "remove or fix that line; other IUPAC codes are not supported")
    expression = pd.to_numeric(frame["expression"], errors="coerce").to_numpy(dtype=np.float64)
    bad_value = ~np.isfinite(expression)
    if bad_value.any():
        i = int(np.flatnonzero(bad_value)[0])
        raw = frame["expression"].iloc[i]
        problem = "missing expression value (only one field?)" if raw == "" else f"expression {raw!r} is not a finite number"
        raise InputError(path, f"line {first_line + i}: {problem}", "each record needs a numeric expression value")
    return PromoterChunk(sequences.tolist(), expression.astype(np.float32), first_line)
