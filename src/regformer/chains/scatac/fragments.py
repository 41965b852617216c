"""Check a 10x fragments file and its chromosome sizes before SnapATAC2 reads them, so bad input fails clearly.

Fragments as 10x, ArchR, MAESTRO and SnapATAC2 write them: `chrom start end barcode [count]`, tab-separated,
plain, gzip or bgzip. '#' starts a header line only at the top of the file: inside a barcode (`0w#AAAC...`,
ArchR / MAESTRO) it is part of the name. A file of 4 columns (no duplicate count) counts each line once.
The check streams the file once (chunk by chunk), refuses bad records by line number (negative start, start >=
end, end past the chromosome), and returns its counts, which the tests compare with what SnapATAC2 imports.
Fragments on chromosomes missing from chrom_sizes are counted per chromosome (SnapATAC2 drops them).
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
FIX_COLUMNS = "give fragments: chrom, start, end, barcode and (optionally) count, tab-separated"
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


def _is_gzip(path: str | Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open_text(path: str | Path):
    return gzip.open(path, "rt") if _is_gzip(path) else open(path)


def header_lines(path: str | Path) -> int:
    """Number of '#' lines at the top of the file (10x's header); '#' further down is data (ArchR barcodes)."""
    n = 0
    with _open_text(path) as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            n += 1
    return n


def _chunks(path: str | Path, chunk_size: int):
    if Path(path).stat().st_size == 0:
        raise InputError(path, "the fragments file is empty (0 bytes)",
                         "give a fragments file with at least one fragment (was a download or copy cut short?)")
    try:
        skip = header_lines(path)
        reader = pd.read_csv(path, sep="\t", header=None, skiprows=skip, chunksize=chunk_size, dtype={0: str, 3: str},
                             compression="gzip" if _is_gzip(path) else None, comment=None)
        yield from reader
    except (EOFError, zlib.error, gzip.BadGzipFile) as err:
        raise InputError(path, f"the compressed file is truncated or corrupt ({err})",
                         "download or copy the fragments file again (gzip -t FILE must pass)") from None
    except pd.errors.EmptyDataError:
        raise InputError(path, "the fragments file has header lines but no fragment",
                         "give a file with at least one fragment") from None
    except pd.errors.ParserError as err:
        raise InputError(path, f"rows have different numbers of columns ({err})", FIX_COLUMNS) from None


def check_fragments(path: str | Path, chrom_sizes: dict[str, int], sorted_by: str = "position",
                    chunk_size: int = 1_000_000, lengths: dict[str, int] | None = None) -> dict:
    """Validate the file (4 or 5 columns, integer coordinates inside the chromosome, declared order); return
    counts: fragments overall, per barcode and per chromosome of chrom_sizes, and per other chromosome (dropped).
    `lengths`: the sizes to check ends against (default chrom_sizes; the whole file's when a dataset keeps a
    subset of chromosomes)."""
    if sorted_by not in SORTS:
        raise InputError("config.yaml", f"sorted_by {sorted_by!r} is unknown", f"use one of {SORTS}")
    if not Path(path).is_file():
        raise InputError(path, "the fragments file does not exist", "check the dataset's fragments path")
    per_barcode: dict[str, int] = {}
    per_chrom: dict[str, int] = {}
    unknown: set[str] = set()
    dropped: dict[str, int] = {}  # fragments per chromosome that chrom_sizes lacks
    last = None  # (chrom, start) or barcode at the end of the previous chunk
    seen_groups: set = set()
    n = 0
    for chunk in _chunks(path, chunk_size):
        if chunk.shape[1] not in (4, 5):
            raise InputError(path, f"the file has {chunk.shape[1]} columns, not 4 or 5", FIX_COLUMNS)
        if chunk.shape[1] == 4:
            chunk[4] = 1
        chunk.columns = COLUMNS
        short = np.flatnonzero(chunk.isna().any(axis=1).to_numpy())
        if len(short):
            raise InputError(path, f"fragment {n + short[0] + 1} has fewer than {chunk.shape[1]} columns",
                             f"{FIX_COLUMNS}, the same number on every line")
        _check_values(path, chunk, lengths or chrom_sizes, n)
        unknown.update(set(chunk["chrom"].unique()) - set(chrom_sizes))
        last = _check_order(path, chunk, sorted_by, last, seen_groups, n)
        n += len(chunk)
        progress().info("%s: %s fragments read", Path(path).name, f"{n:,}")
        known = chunk["chrom"].isin(list(chrom_sizes)).to_numpy()
        for key, counts in ((per_barcode, chunk["barcode"][known].value_counts()),
                            (per_chrom, chunk["chrom"][known].value_counts()),
                            (dropped, chunk["chrom"][~known].value_counts())):
            for k, v in counts.items():
                key[k] = key.get(k, 0) + int(v)
    if n == 0:
        raise InputError(path, "the fragments file is empty", "give a file with at least one fragment")
    if not per_chrom:
        raise InputError(path, f"no fragment lies on a chromosome of the chromosome sizes (the file has "
                               f"{sorted(unknown)[:5]})", "give chrom_sizes of the file's genome, with the same names")
    return {"n_fragments": n, "n_fragments_known": int(sum(per_chrom.values())), "per_chrom": per_chrom,
            "per_barcode": per_barcode, "n_barcodes": len(per_barcode), "other_chroms": sorted(unknown),
            "dropped_per_chrom": dict(sorted(dropped.items(), key=lambda kv: -kv[1]))}


def _check_values(path, chunk: pd.DataFrame, chrom_sizes: dict[str, int], offset: int) -> None:
    """Integer coordinates and counts, 0 <= start < end <= the chromosome's length; the first bad line named."""
    for col in ("start", "end", "count"):
        if not pd.api.types.is_integer_dtype(chunk[col]):
            values = pd.to_numeric(chunk[col], errors="coerce")
            bad = np.flatnonzero((values.isna() | (values % 1 != 0)).to_numpy())
            first = int(bad[0]) if len(bad) else 0  # a float column of whole numbers ("12.0") is refused too
            raise InputError(path, f"column {col} holds a non-integer value {[chunk[col].iloc[first]]} on fragment "
                                   f"{offset + first + 1}",
                             "coordinates and counts must be whole numbers (10x fragments format)")
    start, end = chunk["start"].to_numpy(), chunk["end"].to_numpy()
    length = chunk["chrom"].map(chrom_sizes).to_numpy(dtype=float)  # NaN: not in chrom_sizes (counted, dropped)
    for bad, problem in ((start < 0, "starts before 0"), (start >= end, "does not end after its start"),
                         (end > length, "ends past its chromosome's length in chrom_sizes")):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            row = chunk.iloc[i]
            raise InputError(path, f"fragment {offset + i + 1} ({row['chrom']}:{row['start']}-{row['end']} "
                                   f"{row['barcode']}) {problem}",
                             "fix or drop that line; if the coordinates are right, give chrom_sizes of the genome "
                             "the fragments were aligned to" if "length" in problem
                             else "fix or drop that line (fragments are 0-based, half-open: 0 <= start < end)")



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


MAX_UNKNOWN_SHARE = 0.01  # fragments on chromosomes that chrom_sizes lacks: above this share, an error


def dropped_fragments(path, counts: dict, all_sizes: dict[str, int], chrom_sizes_path) -> dict:
    """Fragments SnapATAC2 will drop, split into `excluded` (left out by the dataset's chromosomes list, on
    purpose) and `unknown` (chrom_sizes lacks the chromosome). Unknown ones above MAX_UNKNOWN_SHARE of the file
    are an error (the probe lost 46% silently); fewer are logged as a warning and reported in qc.json."""
    unknown = {c: k for c, k in counts["dropped_per_chrom"].items() if c not in all_sizes}
    excluded = {c: k for c, k in counts["dropped_per_chrom"].items() if c in all_sizes}
    n_unknown = sum(unknown.values())
    share = n_unknown / max(counts["n_fragments"], 1)
    if share > MAX_UNKNOWN_SHARE:
        top = ", ".join(f"{c} ({k:,})" for c, k in list(unknown.items())[:5])
        raise InputError(chrom_sizes_path, f"{n_unknown:,} fragments of {Path(path).name} ({share:.1%}) lie on "
                                           f"chromosomes this file does not list: {top}",
                         "give chrom_sizes of the genome the fragments were aligned to (with the same chromosome "
                         "names), or list the chromosomes to keep in the dataset's `chromosomes` setting")
    if n_unknown:
        import logging

        logging.getLogger(__name__).warning(
            "%s: %s fragments (%.2f%%) on chromosomes missing from %s are dropped: %s", Path(path).name,
            f"{n_unknown:,}", 100 * share, chrom_sizes_path, unknown)
    return {"n_dropped_unknown_chrom": int(n_unknown), "dropped_unknown_chroms": unknown,
            "n_dropped_excluded_chrom": int(sum(excluded.values())), "dropped_excluded_chroms": excluded}
