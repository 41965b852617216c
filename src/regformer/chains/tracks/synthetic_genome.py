"""The synthetic tracks demo genome: random sequence, one assembly gap, planted motifs, and their scan.

Four 12-bp motifs, in random orientation: an accessibility motif (a Reb1-like pioneer site), a ChIP factor's
motif (AP-1-like), a core promoter (a TATA box; "weak" promoters carry one fixed mismatch) and an enhancer motif
(NF-kB-like). Promoters are planted every ~`promoter_spacing` bp; each gets 0, 1 or 2 enhancers 2.2-3.8 kb
upstream (inside the functional window of 2-4 kb upstream of the promoter, on its strand) and sometimes a decoy
enhancer as far downstream, which by design does nothing. The tracks are computed from `scan_sites` of the
final sequence (both strands), so they are a function of the sequence alone: chance occurrences count too.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from regformer.chains.hic.synthetic_genome import reverse_complement

ACCESS_MOTIF = "GTTACCCGGAAG"  # Reb1-like (TTACCCG): open chromatin
CHIP_MOTIF = "CATGACTCATCG"  # AP-1-like (TGACTCA): the ChIP-seq factor
PROMOTER_MOTIF = "TATAAAAGGCGC"  # TATA box: a strong core promoter
PROMOTER_WEAK = "TATATAAGGCGC"  # one fixed mismatch: a weak core promoter
ENHANCER_MOTIF = "GGGAATTTCCAC"  # NF-kB-like: boosts promoters 2-4 kb downstream of it
MOTIFS = {"access": ACCESS_MOTIF, "chip": CHIP_MOTIF, "promoter_strong": PROMOTER_MOTIF,
          "promoter_weak": PROMOTER_WEAK, "enhancer": ENHANCER_MOTIF}
ENHANCER_WINDOW = (2000, 4000)  # bp upstream of the promoter motif's 5' end (on the promoter's strand)
PLANT_WINDOW = (2200, 3800)  # where planted enhancers go, well inside ENHANCER_WINDOW
ENHANCER_COUNTS = ((0, 0.4), (1, 0.4), (2, 0.2))  # planted enhancers per promoter and their probabilities
DECOY_FRACTION = 0.3  # promoters that also get an enhancer 2.2-3.8 kb downstream (no effect by design)
STRONG_FRACTION = 0.6
GC = 0.41
EDGE = 6000  # no promoter within this distance of a chromosome end or the gap
SITE_COLUMNS = ["chrom", "start", "end", "name", "strand"]


def _place(seq: np.ndarray, busy: np.ndarray, start: int, motif: str, reverse: bool, margin: int = 10) -> bool:
    """Write `motif` (or its reverse complement) at `start` unless it would touch another planted site."""
    lo, hi = start - margin, start + len(motif) + margin
    if lo < 0 or hi > len(seq) or busy[lo:hi].any():
        return False
    seq[start:start + len(motif)] = np.frombuffer((reverse_complement(motif) if reverse else motif).encode(), np.uint8)
    busy[lo:hi] = True
    return True


def _plant_promoters(seq, busy, length: int, spacing: int, rng: np.random.Generator) -> None:
    """Promoters every 0.8-1.2 x spacing with their upstream enhancers and, sometimes, a downstream decoy."""
    m, e = len(PROMOTER_MOTIF), len(ENHANCER_MOTIF)
    slots = np.arange(PLANT_WINDOW[0], PLANT_WINDOW[1] + 1, 100)
    pos = EDGE + np.cumsum(rng.uniform(0.8, 1.2, size=length // int(0.8 * spacing) + 1) * spacing).astype(int)
    for p in pos[pos < length - EDGE]:
        reverse, strong = rng.random() < 0.5, rng.random() < STRONG_FRACTION
        n_enh = rng.choice([n for n, _ in ENHANCER_COUNTS], p=[q for _, q in ENHANCER_COUNTS])
        decoy = rng.random() < DECOY_FRACTION
        if busy[p - ENHANCER_WINDOW[1] - e:p + m + ENHANCER_WINDOW[1] + e].any():
            continue  # near the gap
        _place(seq, busy, p, PROMOTER_MOTIF if strong else PROMOTER_WEAK, reverse)
        up, anchor = (1, p + m) if reverse else (-1, p)  # upstream direction and the promoter's 5' end
        distances = list(rng.choice(slots, size=n_enh, replace=False)) + ([rng.choice(slots)] if decoy else [])
        for k, d in enumerate(distances):
            centre = anchor + up * int(d) if k < n_enh else anchor - up * (int(d) + m)
            _place(seq, busy, centre - e // 2, ENHANCER_MOTIF, rng.random() < 0.5)


def make_track_genome(chrom_lengths: dict[str, int], *, gap_length: int, resolution: int, promoter_spacing: int,
                      access_spacing: int, chip_spacing: int, rng: np.random.Generator
                      ) -> tuple[dict[str, np.ndarray], tuple[str, int, int]]:
    """Random sequences (uint8 ASCII) with the gap and planted motifs; returns (sequences, gap).

    The gap (a run of N) starts at 30% of the first chromosome, on the `resolution` grid.
    """
    probs = [(1 - GC) / 2, GC / 2, GC / 2, (1 - GC) / 2]
    first = next(iter(chrom_lengths))
    gap_start = chrom_lengths[first] * 3 // 10 // resolution * resolution
    gap = (first, gap_start, gap_start + gap_length)
    seqs = {}
    for chrom, length in chrom_lengths.items():
        seq = np.frombuffer(b"ACGT", np.uint8)[rng.choice(4, size=length, p=probs)].copy()
        busy = np.zeros(length, dtype=bool)
        if chrom == first and gap_length:
            seq[gap[1]:gap[2]] = ord("N")
            busy[max(gap[1] - EDGE, 0):gap[2] + EDGE] = True
        _plant_promoters(seq, busy, length, promoter_spacing, rng)
        for motif, spacing in ((ACCESS_MOTIF, access_spacing), (CHIP_MOTIF, chip_spacing)):
            for p in rng.integers(100, length - 100 - len(motif), size=length // spacing):
                _place(seq, busy, int(p), motif, rng.random() < 0.5)
        seqs[chrom] = seq
    return seqs, gap


def scan_sites(seqs: dict[str, np.ndarray]) -> pd.DataFrame:
    """Every exact occurrence of every motif on both strands: chrom, start, end, name, strand (sorted)."""
    rows = []
    for chrom, seq in seqs.items():
        text = seq.tobytes().upper()
        for name, motif in MOTIFS.items():
            for strand, word in (("+", motif), ("-", reverse_complement(motif))):
                for hit in re.finditer(b"(?=" + word.encode() + b")", text):
                    rows.append((chrom, hit.start(), hit.start() + len(motif), name, strand))
    sites = pd.DataFrame(rows, columns=SITE_COLUMNS)
    return sites.sort_values(["chrom", "start", "name"], kind="stable").reset_index(drop=True)


def enhancer_counts(sites: pd.DataFrame) -> np.ndarray:
    """Per site, the enhancers (by centre, either strand) 2-4 kb upstream of it on its strand; 0 for non-promoters.

    Upstream of a '+' promoter is to the left of its start, of a '-' promoter to the right of its end, so the
    rule is the same on the reverse-complemented genome.
    """
    out = np.zeros(len(sites), dtype=np.int64)
    for chrom, idx in sites.groupby("chrom", sort=False).indices.items():
        part = sites.iloc[idx]
        enh = part[part["name"] == "enhancer"]
        centres = np.sort((enh["start"] + enh["end"]).to_numpy() / 2)
        for k, row in zip(idx, part.itertuples(index=False)):
            if row.name.startswith("promoter"):
                lo, hi = ((row.end + ENHANCER_WINDOW[0], row.end + ENHANCER_WINDOW[1]) if row.strand == "-"
                          else (row.start - ENHANCER_WINDOW[1], row.start - ENHANCER_WINDOW[0]))
                out[k] = np.searchsorted(centres, hi, "right") - np.searchsorted(centres, lo, "left")
    return out
