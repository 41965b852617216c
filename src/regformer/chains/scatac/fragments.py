"""Check a 10x fragments file and its chromosome sizes before SnapATAC2 reads them, so bad input fails clearly.

10x fragments: `chrom start end barcode count`, tab-separated, plain, gzip or bgzip, '#' comment lines allowed.
The check streams the file once (chunk by chunk) and returns its counts, which the tests compare with what
SnapATAC2 imports.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from regformer.errors import InputError
from regformer.logs import progress

COLUMNS = ["chrom", "start", "end", "barcode", "count"]
SORTS = ("position", "barcode", "none")


def read_chrom_sizes(source: str | Path, chromosomes: list[str] | None = None) -> dict[str, int]:
    """Chromosome sizes from a two-column TSV (chrom, length), restricted to `chromosomes` (each must be there).

    (snapatac2 2.9's named genomes fetch a whole FASTA at run time to know their sizes, so a file is required.)
    """
    name = str(source)
    if not Path(name).is_file():
        raise InputError(name, "the chromosome sizes file does not exist",
                         "give a TSV of chromosome and length (e.g. UCSC's hg38.chrom.sizes)")
    table = pd.read_csv(name, sep="\t", header=None, comment="#", usecols=[0, 1], dtype={0: str})
    if not pd.api.types.is_integer_dtype(table[1]):
        raise InputError(name, "the second column is not integer lengths", "write one 'chrom<TAB>length' per line")
    sizes = dict(zip(table[0], table[1].astype(int)))
    if chromosomes:
        missing = [c for c in chromosomes if c not in sizes]
        if missing:
            raise InputError(name, f"chromosomes {missing} are not in the chromosome sizes",
                             "fix the dataset's chromosomes list or give chrom_sizes that name them")
        sizes = {c: sizes[c] for c in chromosomes}
    return sizes


def _chunks(path: str | Path, chunk_size: int):
    try:
        reader = pd.read_csv(path, sep="\t", header=None, comment="#", chunksize=chunk_size, dtype={0: str, 3: str},
                             compression="gzip" if _is_gzip(path) else None)
        yield from reader
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise InputError(path, f"the compressed file is truncated or corrupt ({err})",
                         "download or copy the fragments file again (gzip -t FILE must pass)") from None
    except pd.errors.ParserError as err:
        raise InputError(path, f"rows have different numbers of columns ({err})",
                         "give 10x fragments: chrom, start, end, barcode, count (5 tab-separated columns)") from None


def _is_gzip(path: str | Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def check_fragments(path: str | Path, chrom_sizes: dict[str, int], sorted_by: str = "position",
                    chunk_size: int = 1_000_000) -> dict:
    """Validate the file (5 columns, integer coordinates, known chromosomes, declared order); return counts:
    fragments and barcodes overall, and fragments per barcode and per chromosome in chrom_sizes."""
    if sorted_by not in SORTS:
        raise InputError("config.yaml", f"sorted_by {sorted_by!r} is unknown", f"use one of {SORTS}")
    if not Path(path).is_file():
        raise InputError(path, "the fragments file does not exist", "check the dataset's fragments path")
    per_barcode: dict[str, int] = {}
    per_chrom: dict[str, int] = {}
    unknown: set[str] = set()
    last = None  # (chrom, start) or barcode at the end of the previous chunk
    seen_groups: set = set()
    n = 0
    for chunk in _chunks(path, chunk_size):
        if chunk.shape[1] != 5:
            raise InputError(path, f"the file has {chunk.shape[1]} columns, not 5",
                             "give 10x fragments: chrom, start, end, barcode, count")
        chunk.columns = COLUMNS
        short = np.flatnonzero(chunk.isna().any(axis=1).to_numpy())
        if len(short):
            raise InputError(path, f"fragment {n + short[0] + 1} has fewer than 5 columns",
                             "give 10x fragments: chrom, start, end, barcode, count on every line")
        for col in ("start", "end", "count"):
            if not pd.api.types.is_integer_dtype(chunk[col]):
                bad = chunk[col][pd.to_numeric(chunk[col], errors="coerce").isna() |
                                 (pd.to_numeric(chunk[col], errors="coerce") % 1 != 0)].iloc[:1].tolist()
                raise InputError(path, f"column {col} holds a non-integer value {bad}",
                                 "coordinates and counts must be whole numbers (10x fragments format)")
        unknown.update(set(chunk["chrom"].unique()) - set(chrom_sizes))
        last = _check_order(path, chunk, sorted_by, last, seen_groups, n)
        n += len(chunk)
        progress().info("%s: %s fragments read", Path(path).name, f"{n:,}")
        known = chunk[chunk["chrom"].isin(list(chrom_sizes))]
        for key, counts in ((per_barcode, known["barcode"].value_counts()), (per_chrom, known["chrom"].value_counts())):
            for k, v in counts.items():
                key[k] = key.get(k, 0) + int(v)
    if n == 0:
        raise InputError(path, "the fragments file is empty", "give a file with at least one fragment")
    if not per_chrom:
        raise InputError(path, f"no fragment lies on a chromosome of the chromosome sizes (the file has "
                               f"{sorted(unknown)[:5]})", "give chrom_sizes of the file's genome, with the same names")
    return {"n_fragments": n, "n_fragments_known": int(sum(per_chrom.values())), "per_chrom": per_chrom,
            "per_barcode": per_barcode, "n_barcodes": len(per_barcode), "other_chroms": sorted(unknown)}


def _check_order(path, chunk: pd.DataFrame, sorted_by: str, last, seen: set, offset: int):
    """Raise if the chunk breaks the declared order; return the state to carry to the next chunk."""
    if sorted_by == "none":
        return None
    key = chunk["barcode"] if sorted_by == "barcode" else chunk["chrom"]
    change = np.r_[True, key.to_numpy()[1:] != key.to_numpy()[:-1]]
    groups = key.to_numpy()[change]
    if last is not None and groups[0] == last[0]:
        groups = groups[1:]
    for group in groups:
        if group in seen:
            raise InputError(path, f"the file is not sorted by {sorted_by}: {group} comes back after other "
                                   f"{'barcodes' if sorted_by == 'barcode' else 'chromosomes'}",
                             f"sort it (e.g. sort -k1,1 -k2,2n) or set sorted_by: "
                             f"{'barcode' if sorted_by == 'position' else 'position'} or none")
        seen.add(group)
    if sorted_by == "position":
        start = chunk["start"].to_numpy()
        same, prev = ~change, np.r_[-1, start[:-1]]
        if last is not None and last[0] == key.iloc[0]:
            same[0], prev[0] = True, last[1]
        down = np.flatnonzero(same & (start < prev))
        if len(down):
            raise InputError(path, f"the file is not sorted by position: fragment {offset + down[0] + 1} starts "
                                   "before the one above it", "sort it (sort -k1,1 -k2,2n) or set sorted_by: none")
        return key.iloc[-1], int(start[-1])
    return key.iloc[-1], None
