"""Reading a genome FASTA: open it (indexing if needed), fetch windows as uint8 codes, find long N runs.

Shared by every chain that cuts windows out of a genome (Hi-C, genomic tracks); pyfaidx reads only the
requested slice, so a 250 Mb chromosome is never held in memory.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pyfaidx

from regformer.io.alphabet import ASCII_TO_CODE, INVALID, N_CODE
from regformer.errors import InputError

REGION_NAME = re.compile(r"^(?P<chrom>[^:\s]+):(?P<start>[1-9][0-9]*)-(?P<end>[0-9]+)$")


def open_fasta(fasta_path) -> tuple[pyfaidx.Fasta, dict[str, int]]:
    """Open (and index if needed) a FASTA; return it and its sequence lengths in file order."""
    path = Path(fasta_path)
    index = Path(f"{path}.fai")
    unwritable = path.exists() and not index.exists() and not os.access(path.parent, os.W_OK)
    try:
        if unwritable:
            raise PermissionError(f"cannot write {index}")
        fa = pyfaidx.Fasta(str(fasta_path), as_raw=True, sequence_always_upper=False)
    except (OSError, pyfaidx.FastaIndexingError, ValueError) as exc:
        if path.exists() and not index.exists() and (unwritable or "not be writable" in str(exc)
                                                      or isinstance(exc, PermissionError)):
            raise InputError(fasta_path, f"has no index ({index.name}) and its folder {path.parent} is not writable, "
                             "so it cannot be indexed here",
                             f"index it where it is writable (`samtools faidx {path}` as a user who may write "
                             "there), or copy the FASTA to a writable folder and point the config at the copy") from exc
        raise InputError(fasta_path, f"cannot read the FASTA ({exc})",
                         "give an uncompressed or bgzipped FASTA file") from exc
    except ImportError as exc:  # pyfaidx reads bgzip only through Biopython, which regformer does not require
        raise InputError(fasta_path, f"is block-gzipped and pyfaidx cannot read it here ({exc})",
                         f"decompress it (gunzip -c {fasta_path} > GENOME.fa) and point the config at GENOME.fa, "
                         "or install biopython") from exc
    fa = _with_regions(fa, fasta_path)
    return fa, {name: len(fa[name]) for name in fa.keys()}


class PaddedRegion:
    """One FASTA record holding a region of a chromosome, read at the chromosome's coordinates: bases before
    the region read as N; the record's length is the region's end."""

    def __init__(self, record, offset: int):
        self.record, self.offset = record, offset
        self.length = offset + len(record)

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, key: slice) -> str:
        lo, hi, _ = key.indices(self.length)
        pad = max(0, min(hi, self.offset) - lo)
        inner = self.record[max(lo - self.offset, 0):hi - self.offset] if hi > self.offset else ""
        return "N" * pad + inner


class RegionFasta:
    """A FASTA whose records are named as samtools names regions (`22:20000001-21000000`, 1-based): each is seen
    as its chromosome (`22`) at genome coordinates, so windows, targets and bigWigs share one coordinate system
    without padding the FASTA with Ns. `partial` names the chromosomes known only up to their region's end."""

    def __init__(self, fa: pyfaidx.Fasta, regions: dict[str, tuple[str, int]]):
        self.fa, self.regions = fa, regions  # chromosome -> (record name, 0-based start)
        self.partial = set(regions)

    def keys(self) -> list[str]:
        back = {record: chrom for chrom, (record, _) in self.regions.items()}
        return [back.get(name, name) for name in self.fa.keys()]

    def __getitem__(self, name: str):
        if name in self.regions:
            record, offset = self.regions[name]
            return PaddedRegion(self.fa[record], offset)
        return self.fa[name]


def _with_regions(fa: pyfaidx.Fasta, fasta_path):
    """`fa` itself, or a RegionFasta when any record is named like `chrom:start-end`."""
    regions: dict[str, tuple[str, int]] = {}
    for name in fa.keys():
        match = REGION_NAME.match(name)
        if not match:
            continue
        chrom, start, end = match["chrom"], int(match["start"]), int(match["end"])
        if end - start + 1 != len(fa[name]) or chrom in regions or chrom in fa.keys():
            raise InputError(fasta_path, f"record {name!r} looks like a region of {chrom} but holds "
                             f"{len(fa[name]):,} bp, not {end - start + 1:,}, or {chrom} appears twice",
                             "give one record per chromosome, named chrom:start-end (1-based, end included) with "
                             "exactly that many bases, or rename it to the plain chromosome name")
        regions[chrom] = (name, start - 1)
    return RegionFasta(fa, regions) if regions else fa


def partial_chroms(fa) -> set[str]:
    """Chromosomes of an opened FASTA known only up to a region's end (RegionFasta), so longer in target files."""
    return set(getattr(fa, "partial", ()))


def open_sequences(fasta_path):
    """The opened FASTA alone (as `open_fasta`), for readers of windows."""
    return open_fasta(fasta_path)[0]


def fetch_codes(fasta: pyfaidx.Fasta, chrom: str, start: int, end: int) -> np.ndarray:
    """Codes of chrom:start-end; positions off the chromosome and non-ACGT letters (IUPAC) become N."""
    length = len(fasta[chrom])
    codes = np.full(end - start, N_CODE, dtype=np.uint8)
    lo, hi = max(start, 0), min(end, length)
    if hi > lo:
        text = fasta[chrom][lo:hi]
        text = text if isinstance(text, str) else text.seq
        raw = ASCII_TO_CODE[np.frombuffer(text.encode("ascii", errors="replace"), dtype=np.uint8)]
        raw[raw == INVALID] = N_CODE
        codes[lo - start:hi - start] = raw
    return codes


def n_runs(fa: pyfaidx.Fasta, chrom: str, min_gap: int, chunk: int = 1 << 22) -> list[tuple[int, int]]:
    """Half-open runs of N/n in `chrom` of length >= min_gap, plus any run touching either end (telomeric Ns).

    Reads `chunk` bases at a time as a numpy array, so memory stays O(chunk) for a 250 Mb chromosome.
    """
    length, runs, open_start = len(fa[chrom]), [], None
    for a in range(0, length, chunk):
        b = min(a + chunk, length)
        arr = np.frombuffer(fa[chrom][a:b].encode("ascii"), dtype=np.uint8)
        edges = np.diff(np.concatenate(([0], ((arr | 0x20) == ord("n")).view(np.int8), [0])))
        starts, ends = list(np.flatnonzero(edges == 1) + a), list(np.flatnonzero(edges == -1) + a)
        if open_start is not None:  # a run left open at the previous chunk's end
            if starts and starts[0] == a:
                starts[0] = open_start
            else:
                starts.insert(0, open_start)
                ends.insert(0, a)
            open_start = None
        if ends and ends[-1] == b and b < length:
            open_start = starts.pop()
            ends.pop()
        runs += [(int(s), int(e)) for s, e in zip(starts, ends) if e - s >= min_gap or s == 0 or e == length]
    return runs
