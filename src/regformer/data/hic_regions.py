"""Akita-style Hi-C training regions: FASTA contigs -> windows -> train/valid/test splits -> filtered-bin QC.

As in Fudenberg et al. 2020 (basenji `akita_data.py`): the genome is cut into contigs at assembly gaps (long N
runs) and an optional gaps/blacklist BED, whole contigs (or held-out chromosomes) are assigned to splits so that no
window crosses splits, windows of `seq_length` are tiled inside contigs (denser stride for train), and windows with
too many filtered (NaN-weight) bins in any map are dropped. The result is a TSV read by the targets step.
"""

from __future__ import annotations

import logging
import re

import cooler
import numpy as np
import pandas as pd
import pyfaidx

from regformer.data.hic_targets import check_balanced, check_resolution
from regformer.errors import InputError
from regformer.io.atomic import atomic_path

log = logging.getLogger(__name__)
Interval = tuple[str, int, int]
SPLITS = ("train", "valid", "test")
BASE_COLUMNS = ["chrom", "start", "end", "split", "cooler_chrom"]


def open_fasta(fasta_path) -> tuple[pyfaidx.Fasta, dict[str, int]]:
    """Open (and index if needed) a FASTA; return it and its sequence lengths in file order."""
    try:
        fa = pyfaidx.Fasta(str(fasta_path), as_raw=True, sequence_always_upper=False)
    except (OSError, pyfaidx.FastaIndexingError, ValueError) as exc:
        raise InputError(fasta_path, f"cannot read the FASTA ({exc})",
                         "give an uncompressed or bgzipped FASTA file") from exc
    return fa, {name: len(fa[name]) for name in fa.keys()}


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


def subtract(intervals: list[tuple[int, int]], holes: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Parts of half-open `intervals` outside all `holes` (both lists of (start, end))."""
    out = []
    for start, end in intervals:
        pos = start
        for hs, he in sorted(holes):
            if he <= pos or hs >= end:
                continue
            if hs > pos:
                out.append((pos, hs))
            pos = max(pos, he)
        if pos < end:
            out.append((pos, end))
    return out


def read_bed(bed_path, sizes: dict[str, int], aliases: dict[str, str]) -> dict[str, list[tuple[int, int]]]:
    """BED intervals per FASTA chromosome; cooler names are mapped back through `aliases`. Unknown names fail."""
    back = {v: k for k, v in aliases.items()}
    out: dict[str, list[tuple[int, int]]] = {}
    with open(bed_path) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip() or line.startswith(("#", "track", "browser")):
                continue
            fields = line.split("\t") if "\t" in line else line.split()
            try:
                chrom, start, end = fields[0], int(fields[1]), int(fields[2])
            except (IndexError, ValueError) as exc:
                raise InputError(bed_path, f"line {n} is not 'chrom<TAB>start<TAB>end'", "fix the BED file") from exc
            chrom = chrom if chrom in sizes else back.get(chrom, chrom)
            if chrom not in sizes:
                raise InputError(bed_path, f"line {n}: chromosome {fields[0]!r} is not in the FASTA "
                                 f"(FASTA has {', '.join(sizes)})", "use the FASTA's chromosome names or fix aliases")
            if not 0 <= start <= end <= sizes[chrom]:
                raise InputError(bed_path, f"line {n}: {chrom}:{start}-{end} is outside the chromosome "
                                 f"(length {sizes[chrom]})", "use a BED for the same assembly as the FASTA")
            out.setdefault(chrom, []).append((start, end))
    return out


def find_contigs(fa: pyfaidx.Fasta, chroms: list[str], lengths: dict[str, int], *, min_gap: int,
                 blacklist: dict[str, list[tuple[int, int]]] | None = None, min_length: int = 1,
                 chunk: int = 1 << 22) -> list[Interval]:
    """Contigs (chrom, start, end) of `chroms` between long N runs and blacklist intervals, >= min_length long.

    `lengths` caps each chromosome (the shortest of FASTA and coolers), so windows never run off a map.
    """
    contigs = []
    for chrom in chroms:
        holes = n_runs(fa, chrom, min_gap, chunk) + (blacklist or {}).get(chrom, [])
        for start, end in subtract([(0, lengths[chrom])], holes):
            if end - start >= min_length:
                contigs.append((chrom, start, end))
    return contigs


def tile_windows(start: int, end: int, *, bin_size: int, seq_length: int, stride: int) -> np.ndarray:
    """Window starts inside [start, end): from the first multiple of bin_size >= start, every stride."""
    first = -(-start // bin_size) * bin_size
    return np.arange(first, end - seq_length + 1, stride, dtype=np.int64)


def assign_contigs(contigs: list[Interval], fractions: dict[str, float], seed: int) -> list[str]:
    """Split of each contig: shuffled (seeded), each contig goes to the held-out split furthest below its target
    length if that brings it closer to the target, otherwise to train (as Akita assigned contigs to folds)."""
    lengths = np.array([e - s for _, s, e in contigs], dtype=float)
    target = {k: f * lengths.sum() for k, f in fractions.items() if f > 0}
    filled = dict.fromkeys(target, 0.0)
    out = ["train"] * len(contigs)
    for i in np.random.default_rng(seed).permutation(len(contigs)):
        if not target:
            break
        split = max(target, key=lambda k: target[k] - filled[k])
        deficit = target[split] - filled[split]
        if lengths[i] < 2 * deficit:  # |deficit - length| < deficit
            out[i], filled[split] = split, filled[split] + lengths[i]
    return out


def _alias_hint(missing: list[str], fasta_of: dict[str, str], names: list[str]) -> str:
    """A suggested alias table when the names differ by a 'chr' prefix or by case."""
    lower = {n.lower(): n for n in names}
    guess = {}
    for m in missing:
        bare = m[3:] if m.lower().startswith("chr") else m
        for cand in (bare, "chr" + bare, m.lower()):
            if cand.lower() in lower:
                guess[fasta_of[m]] = lower[cand.lower()]
                break
    if not guess:
        return "add an alias table (FASTA name -> cooler name) or use a FASTA of the cooler's assembly"
    pairs = ", ".join(f"{k}: {v!r}" for k, v in list(guess.items())[:3]) + (", ..." if len(guess) > 3 else "")
    first = next(iter(guess))
    return (f"FASTA has {first}, cooler has {guess[first]}: add aliases {{{pairs}}}"
            + ("" if len(guess) == len(missing) else " (and map the others)"))


def check_cooler(uri: str, used: dict[str, str], sizes: dict[str, int], bin_size: int) -> cooler.Cooler:
    """Open a cooler and check resolution, balancing, chromosome names and lengths against the FASTA."""
    try:
        clr = cooler.Cooler(uri)
    except (OSError, KeyError, ValueError) as exc:
        raise InputError(uri, f"cannot open the cooler ({exc})", "give FILE.cool or FILE.mcool::resolutions/N") from exc
    check_resolution(clr, bin_size, uri)
    check_balanced(clr, uri)
    csizes = clr.chromsizes
    fasta_of = {c: f for f, c in used.items()}
    missing = [c for c in used.values() if c not in csizes.index]
    if missing:
        shown = ", ".join(missing[:10]) + (", ..." if len(missing) > 10 else "")
        raise InputError(uri, f"chromosomes {shown} are not in the cooler (cooler has {', '.join(clr.chromnames)})",
                         _alias_hint(missing, fasta_of, list(clr.chromnames)))
    for fname, cname in used.items():
        if abs(int(csizes[cname]) - sizes[fname]) > bin_size:
            raise InputError(uri, f"{cname} is {int(csizes[cname])} bp in the cooler but {fname} is {sizes[fname]} bp"
                             " in the FASTA", "use a FASTA and coolers of the same assembly (or fix aliases)")
    return clr


def filtered_fraction(weights: np.ndarray, starts: np.ndarray, n_bins: int, bin_size: int) -> np.ndarray:
    """Fraction of NaN-weight bins in each window [start, start + n_bins * bin_size) of one chromosome."""
    cum = np.concatenate(([0], np.cumsum(np.isnan(weights))))
    first = starts // bin_size
    return (cum[first + n_bins] - cum[first]) / n_bins


def define_regions(fasta_path, cooler_uris: dict[str, str], out_tsv, *, bin_size: int, seq_length: int,
                   train_stride: int, eval_stride: int, valid_chroms: list[str] | None = None,
                   test_chroms: list[str] | None = None, valid_fraction: float = 0.1, test_fraction: float = 0.1,
                   chromosomes: list[str] | None = None, aliases: dict[str, str] | None = None,
                   blacklist_bed: str | None = None, min_gap: int = 1000, max_filtered_fraction: float = 0.5,
                   seed: int = 0) -> dict:
    """Write the regions TSV (chrom, start, end, split, cooler_chrom, filtered_<map>...); return a summary.

    Checks everything that can be checked cheaply (config, names, resolution, balancing) before scanning the FASTA;
    nothing is written on any error.
    """
    aliases = dict(aliases or {})
    for key, val in (("seq_length", seq_length), ("train_stride", train_stride), ("eval_stride", eval_stride)):
        if val <= 0 or val % bin_size:
            raise InputError(key, f"{val} is not a positive multiple of bin_size {bin_size}",
                             f"use a multiple of {bin_size}")
    if not (0 <= valid_fraction < 1 and 0 <= test_fraction < 1 and valid_fraction + test_fraction < 1):
        raise InputError("valid_fraction/test_fraction", f"{valid_fraction}/{test_fraction} are not fractions "
                         "summing below 1", "use e.g. 0.1 and 0.1")
    if not 0 <= max_filtered_fraction <= 1:
        raise InputError("max_filtered_fraction", f"{max_filtered_fraction} is not in [0, 1]", "use e.g. 0.5")
    if not cooler_uris:
        raise InputError("cooler_uris", "no coolers given", "give at least one map name -> cooler URI")
    for name in cooler_uris:
        if not re.fullmatch(r"[\w.+-]+", name):
            raise InputError("cooler_uris", f"map name {name!r} is not a plain word", "use letters, digits, _ . + -")
    fa, sizes = open_fasta(fasta_path)
    chroms = list(chromosomes) if chromosomes else [c for c, n in sizes.items() if n >= seq_length]
    held = {"valid": list(valid_chroms or []), "test": list(test_chroms or [])}
    for chrom in chroms + held["valid"] + held["test"]:
        if chrom not in sizes:
            raise InputError(fasta_path, f"chromosome {chrom!r} is not in the FASTA (FASTA has {', '.join(sizes)})",
                             "fix chromosomes/valid_chroms/test_chroms to use the FASTA's names")
    both = set(held["valid"]) & set(held["test"])
    if both:
        raise InputError("valid_chroms/test_chroms", f"{sorted(both)} are in both", "hold each chromosome out once")
    outside = [c for c in held["valid"] + held["test"] if c not in chroms]
    if outside or not chroms:
        raise InputError("chromosomes", f"held-out {outside} are not among the used chromosomes {chroms}" if outside
                         else f"no FASTA sequence is >= seq_length {seq_length}",
                         "add them to chromosomes" if outside else "use a smaller seq_length")
    used = {c: aliases.get(c, c) for c in chroms}
    if len(set(used.values())) < len(used):
        raise InputError("aliases", "two FASTA chromosomes map to the same cooler chromosome", "fix the alias table")
    coolers = {name: check_cooler(uri, used, sizes, bin_size) for name, uri in cooler_uris.items()}
    blacklist = read_bed(blacklist_bed, sizes, aliases) if blacklist_bed else {}

    caps = {c: min([sizes[c]] + [int(clr.chromsizes[used[c]]) for clr in coolers.values()]) for c in chroms}
    contigs = find_contigs(fa, chroms, caps, min_gap=min_gap, blacklist=blacklist, min_length=seq_length)
    split_of = {c: s for s in ("valid", "test") for c in held[s]}
    free = [i for i, ctg in enumerate(contigs) if ctg[0] not in split_of]
    fractions = {"valid": 0.0 if held["valid"] else valid_fraction, "test": 0.0 if held["test"] else test_fraction}
    splits = [split_of.get(ctg[0], "train") for ctg in contigs]
    for i, s in zip(free, assign_contigs([contigs[i] for i in free], fractions, seed)):
        splits[i] = s

    n_bins = seq_length // bin_size
    rows = []
    for (chrom, start, end), split in zip(contigs, splits):
        stride = train_stride if split == "train" else eval_stride
        for s in tile_windows(start, end, bin_size=bin_size, seq_length=seq_length, stride=stride):
            rows.append((chrom, int(s), int(s) + seq_length, split, used[chrom]))
    table = pd.DataFrame(rows, columns=BASE_COLUMNS).astype({"start": np.int64, "end": np.int64})
    for name, clr in coolers.items():  # weights read once per chromosome and map
        frac = np.zeros(len(table))
        for chrom, idx in table.groupby("chrom", sort=False).indices.items():
            weights = clr.bins().fetch(used[chrom])["weight"].to_numpy(dtype=float)
            frac[idx] = filtered_fraction(weights, table["start"].to_numpy()[idx], n_bins, bin_size)
        table[f"filtered_{name}"] = frac
    bad = (table[[f"filtered_{n}" for n in coolers]] > max_filtered_fraction).any(axis=1).to_numpy()
    dropped = {s: int((bad & (table["split"] == s).to_numpy()).sum()) for s in SPLITS}
    table = table[~bad].reset_index(drop=True)
    windows = {s: int((table["split"] == s).sum()) for s in SPLITS}
    wanted = {"train": True, "valid": bool(held["valid"]) or valid_fraction > 0,
              "test": bool(held["test"]) or test_fraction > 0}
    for split in SPLITS:
        if wanted[split] and not windows[split]:
            raise InputError(fasta_path, f"no usable {split} window (seq_length {seq_length}, {dropped[split]} "
                             f"dropped for > {max_filtered_fraction} filtered bins, contigs: "
                             f"{sum(s == split for s in splits)})", "use a smaller seq_length or stride, other "
                             "held-out chromosomes or fractions, or a larger max_filtered_fraction")
    with atomic_path(out_tsv) as tmp:
        table.to_csv(tmp, sep="\t", index=False, float_format="%.6g")
    summary = {"windows": windows, "dropped": dropped, "contigs": len(contigs),
               "contigs_per_split": {s: sum(x == s for x in splits) for s in SPLITS},
               "contig_length": int(sum(e - s for _, s, e in contigs)), "maps": list(cooler_uris)}
    log.info("regions %s: %s", out_tsv, summary)
    return summary


def read_regions(tsv) -> pd.DataFrame:
    """Read a regions TSV and check its columns, splits and coordinates."""
    try:
        df = pd.read_csv(tsv, sep="\t", dtype={"chrom": str, "cooler_chrom": str, "split": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(tsv, f"cannot read the regions TSV ({exc})", "rerun the regions step") from exc
    missing = [c for c in BASE_COLUMNS if c not in df.columns]
    maps = [c for c in df.columns if c.startswith("filtered_")]
    if missing or not maps:
        raise InputError(tsv, f"missing columns {missing or ['filtered_<map>']} (has {list(df.columns)})",
                         "rerun the regions step")
    if df.empty or df[BASE_COLUMNS].isna().any().any() or not df["split"].isin(SPLITS).all():
        raise InputError(tsv, "empty, has missing values, or a split other than train/valid/test",
                         "rerun the regions step")
    if not (pd.api.types.is_integer_dtype(df["start"]) and pd.api.types.is_integer_dtype(df["end"])
            and ((0 <= df["start"]) & (df["start"] < df["end"])).all()):
        raise InputError(tsv, "start/end are not integers with 0 <= start < end", "rerun the regions step")
    return df
