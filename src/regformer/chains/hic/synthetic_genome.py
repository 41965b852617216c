"""The synthetic Hi-C demo genome: random sequence, one assembly gap, planted CTCF-like sites (FASTA + sites BED).

The 19 bp CTCF core consensus (JASPAR MA0139.1) is planted in both orientations every ~`site_spacing` bp.
"Strong" sites (exact consensus) are bound in every map, "weak" sites (2 fixed positions mutated) only in maps
with index >= 1; `convergent_pairs` turns the bound sites of one map into its loops.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyfaidx

from regformer.io.atomic import atomic_path

CTCF_CORE = "TGGCCACCAGGGGGCGCTA"  # JASPAR MA0139.1 consensus
WEAK_MUTATIONS = {7: "T", 11: "A"}  # two fixed positions of the core changed in weak sites
CTCF_WEAK = "".join(WEAK_MUTATIONS.get(i, b) for i, b in enumerate(CTCF_CORE))
GC = 0.41
STRONG_FRACTION = 0.6


def reverse_complement(seq: str) -> str:
    """Reverse complement of an ACGTN string (a site planted on the '-' strand)."""
    return seq[::-1].translate(str.maketrans("ACGTN", "TGCAN"))


def site_bound(name: str, map_index: int) -> bool:
    """Strong sites are bound in every map, weak ones only in maps with index >= 1."""
    return name == "strong" or map_index >= 1


def convergent_pairs(sites: pd.DataFrame, map_index: int, bin_size: int, max_loop_length: int) -> pd.DataFrame:
    """Loops of one map: each bound '+' site with the nearest bound '-' site downstream within `max_loop_length`.

    `sites` has BED columns chrom, start, name, strand; anchors are the bins (within the chromosome) holding the
    site centres. Returns chrom, bin1, bin2 (bin1 < bin2).
    """
    rows = []
    bound = sites[[site_bound(n, map_index) for n in sites["name"]]]
    for chrom, group in bound.groupby("chrom", sort=False):
        centre = group["start"].to_numpy() + len(CTCF_CORE) // 2
        strand = group["strand"].to_numpy()
        fwd, rev = np.sort(centre[strand == "+"]), np.sort(centre[strand == "-"])
        nxt = np.searchsorted(rev, fwd, side="right")
        for a, k in zip(fwd, nxt):
            if k < len(rev) and rev[k] - a <= max_loop_length and rev[k] // bin_size > a // bin_size:
                rows.append((chrom, int(a // bin_size), int(rev[k] // bin_size)))
    return pd.DataFrame(rows, columns=["chrom", "bin1", "bin2"])


def make_genome(chrom_lengths: dict[str, int], gap_length: int, site_spacing: int, bin_size: int,
                rng: np.random.Generator) -> tuple[dict[str, np.ndarray], pd.DataFrame, tuple[str, int, int]]:
    """Random sequences (uint8 ASCII) with the gap and planted sites; returns (sequences, sites BED, gap)."""
    probs = [(1 - GC) / 2, GC / 2, GC / 2, (1 - GC) / 2]
    seqs, rows = {}, []
    first = next(iter(chrom_lengths))
    gap_start = (int(chrom_lengths[first]) * 3 // 10) // bin_size * bin_size
    gap = (first, gap_start, gap_start + int(gap_length))
    for chrom, length in chrom_lengths.items():
        seq = np.frombuffer(b"ACGT", np.uint8)[rng.choice(4, size=int(length), p=probs)].copy()
        if chrom == first and gap_length:
            seq[gap[1]:gap[2]] = ord("N")
        pos = np.cumsum(rng.uniform(0.5, 1.5, size=int(length) // (site_spacing // 2) + 2) * site_spacing).astype(int)
        pos = pos[pos + len(CTCF_CORE) < int(length) - bin_size]
        if chrom == first and gap_length:  # keep a bin clear on either side of the gap
            pos = pos[(pos + len(CTCF_CORE) < gap[1] - bin_size) | (pos > gap[2] + bin_size)]
        strong = rng.random(len(pos)) < STRONG_FRACTION
        reverse = rng.random(len(pos)) < 0.5
        for p, s, r in zip(pos, strong, reverse):
            core = CTCF_CORE if s else CTCF_WEAK
            seq[p:p + len(core)] = np.frombuffer((reverse_complement(core) if r else core).encode(), np.uint8)
            rows.append((chrom, int(p), int(p) + len(core), "strong" if s else "weak", 1000 if s else 500,
                         "-" if r else "+"))
        seqs[chrom] = seq
    sites = pd.DataFrame(rows, columns=["chrom", "start", "end", "name", "score", "strand"])
    return seqs, sites, gap


def write_fasta(path: str | Path, seqs: dict[str, np.ndarray], width: int = 60) -> None:
    """FASTA with `width`-bp lines, written atomically, then its .fai built by pyfaidx (also atomically)."""
    path = Path(path)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            for chrom, seq in seqs.items():
                fh.write(f">{chrom}\n".encode())
                full = len(seq) // width * width
                lines = np.hstack([seq[:full].reshape(-1, width), np.full((full // width, 1), ord("\n"), np.uint8)])
                fh.write(lines.tobytes())
                if full < len(seq):
                    fh.write(seq[full:].tobytes() + b"\n")
    with atomic_path(str(path) + ".fai") as tmp_fai:
        pyfaidx.Faidx(str(path), indexname=str(tmp_fai)).close()
