"""Genome windows shared by the chains that read targets along the genome (Hi-C maps, bigWig tracks).

As in Fudenberg et al. 2020 (basenji `akita_data.py`): the genome is cut into contigs at assembly gaps (long N
runs) and an optional gaps/blacklist BED; whole contigs (or held-out chromosomes) are assigned to the train /
val / test splits so that no window crosses splits; windows of `seq_length` are tiled inside contigs on bin
boundaries (a denser stride for train). Chain-specific filtering (e.g. Hi-C filtered bins) happens afterwards.

Config keys keep their names: `valid_chroms` / `valid_fraction` fill split "val".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyfaidx

from regformer.data.splits import SPLITS
from regformer.errors import InputError
from regformer.io.fasta import n_runs

Interval = tuple[str, int, int]
HELD_OUT = ("val", "test")  # assignment order: ties between held-out splits go to "val" (as before the rename)
HELD_OUT_KEYS = {"val": "valid_chroms", "test": "test_chroms"}  # config key of each split's chromosomes
WINDOW_COLUMNS = ["chrom", "start", "end", "split"]


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
    """BED intervals per FASTA chromosome; aliased (e.g. cooler) names are mapped back. Unknown names fail."""
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

    `lengths` caps each chromosome (e.g. the shortest of FASTA and target files), so windows never run off a map.
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
    length if that brings it closer to the target, otherwise to train (as Akita assigned contigs to folds).

    Ties between splits go to the first key of `fractions`, so its order is part of the result.
    """
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


def check_window_settings(*, bin_size: int, seq_length: int, train_stride: int, eval_stride: int,
                          fractions: dict[str, float]) -> None:
    """Fail on window sizes off the bin grid and on held-out fractions ({"val": .., "test": ..}) not summing below 1."""
    for key, val in (("seq_length", seq_length), ("train_stride", train_stride), ("eval_stride", eval_stride)):
        if val <= 0 or val % bin_size:
            raise InputError(key, f"{val} is not a positive multiple of bin_size {bin_size}",
                             f"use a multiple of {bin_size}")
    vf, tf = fractions.get("val", 0.0), fractions.get("test", 0.0)
    if not (0 <= vf < 1 and 0 <= tf < 1 and vf + tf < 1):
        raise InputError("valid_fraction/test_fraction", f"{vf}/{tf} are not fractions summing below 1",
                         "use e.g. 0.1 and 0.1")


def resolve_chromosomes(fasta_path, sizes: dict[str, int], chromosomes: list[str] | None,
                        held_out: dict[str, list[str]], seq_length: int) -> list[str]:
    """The chromosomes to use (default: every FASTA sequence >= seq_length), after checking the held-out ones.

    `held_out` maps "val"/"test" to chromosomes; each must be in the FASTA, used, and held out once.
    """
    chroms = list(chromosomes) if chromosomes else [c for c, n in sizes.items() if n >= seq_length]
    held = [c for s in HELD_OUT for c in held_out.get(s, [])]
    for chrom in chroms + held:
        if chrom not in sizes:
            raise InputError(fasta_path, f"chromosome {chrom!r} is not in the FASTA (FASTA has {', '.join(sizes)})",
                             "fix chromosomes/valid_chroms/test_chroms to use the FASTA's names")
    short = [c for c in held if sizes[c] < seq_length]
    if short:
        raise InputError(fasta_path, "held-out chromosome " + ", ".join(f"{c} ({sizes[c]:,} bp)" for c in short)
                         + f" is shorter than seq_length ({seq_length:,} bp), so no window fits in it",
                         "hold out a chromosome at least seq_length long (valid_chroms/test_chroms), or use a smaller "
                         "seq_length")
    both = set(held_out.get("val", [])) & set(held_out.get("test", []))
    if both:
        raise InputError("valid_chroms/test_chroms", f"{sorted(both)} are in both", "hold each chromosome out once")
    outside = [c for c in held if c not in chroms]
    if outside or not chroms:
        raise InputError("chromosomes", f"held-out {outside} are not among the used chromosomes {chroms}" if outside
                         else f"no FASTA sequence is >= seq_length {seq_length}",
                         "add them to chromosomes" if outside else "use a smaller seq_length")
    return chroms


def parse_region(text: str, source: object, sizes: dict[str, int]) -> Interval:
    """'chrom:start-end' as samtools and genome browsers write it (1-based, end included; commas allowed) ->
    (chrom, start, end) half-open and 0-based, checked against the FASTA's `sizes`."""
    chrom, _, span = str(text).rpartition(":")
    first, _, last = span.replace(",", "").partition("-")
    if not (chrom and first.isdigit() and last.isdigit() and 1 <= int(first) <= int(last)):
        raise InputError(source, f"region {text!r} is not 'chrom:start-end' (1-based, end included)",
                         "write regions as e.g. 22:20000001-20500000")
    if chrom not in sizes or int(last) > sizes[chrom]:
        raise InputError(source, f"region {text!r} is not inside a FASTA sequence (FASTA has "
                         + ", ".join(f"{c} ({n:,} bp)" for c, n in list(sizes.items())[:10]) + ")",
                         "use the FASTA's chromosome names and coordinates inside them")
    return chrom, int(first) - 1, int(last)


def parse_held_regions(regions: dict[str, list[str] | None], source: object, sizes: dict[str, int],
                 held_out: dict[str, list[str]]) -> dict[str, list[Interval]]:
    """"val"/"test" -> parsed regions (parse_region), checked: no two overlap, none on a held-out chromosome."""
    out = {split: [parse_region(r, source, sizes) for r in regions.get(split) or []] for split in HELD_OUT}
    every = sorted((c, s, e, split) for split, items in out.items() for c, s, e in items)
    for (c1, s1, e1, p1), (c2, s2, e2, p2) in zip(every, every[1:]):
        if c1 == c2 and s2 < e1:
            raise InputError(source, f"{p1} region {c1}:{s1 + 1}-{e1} overlaps {p2} region {c2}:{s2 + 1}-{e2}",
                             "make valid_regions and test_regions disjoint")
    chroms = {c for split in HELD_OUT for c in held_out.get(split, [])}
    on_held = [f"{c}:{s + 1}-{e}" for c, s, e, _ in every if c in chroms]
    if on_held:
        raise InputError(source, f"regions {on_held} lie on a held-out chromosome (valid_chroms/test_chroms)",
                         "hold out either whole chromosomes or regions of the others")
    return out


def cut_held_regions(contigs: list[Interval], regions: dict[str, list[Interval]], min_length: int
                     ) -> tuple[list[Interval], list[str | None]]:
    """Contigs cut at the held-out `regions` ("val"/"test" -> intervals): each piece inside a region is labelled
    with its split, the rest None; pieces shorter than `min_length` are dropped (no window fits in them)."""
    out, labels = [], []
    for chrom, start, end in contigs:
        held = [(max(s, start), min(e, end), split) for split in HELD_OUT for c, s, e in regions.get(split, [])
                if c == chrom and s < end and e > start]
        pieces = [(s, e, split) for s, e, split in held]
        pieces += [(s, e, None) for s, e in subtract([(start, end)], [(s, e) for s, e, _ in held])]
        for s, e, split in sorted(pieces):
            if e - s >= min_length:
                out.append((chrom, s, e))
                labels.append(split)
    return out, labels


def split_contigs(fa: pyfaidx.Fasta, chroms: list[str], caps: dict[str, int], *, held_out: dict[str, list[str]],
                  fractions: dict[str, float], seed: int, min_gap: int, min_length: int,
                  blacklist: dict[str, list[tuple[int, int]]] | None = None,
                  held_regions: dict[str, list[Interval]] | None = None) -> pd.DataFrame:
    """Contigs (chrom, start, end, split): held-out chromosomes go whole to their split, and the parts of contigs
    inside `held_regions` ("val"/"test" -> intervals) to theirs; the other contigs are assigned by
    `assign_contigs` with the fractions of the splits that have no held-out chromosomes or regions."""
    regions = held_regions or {}
    contigs = find_contigs(fa, chroms, caps, min_gap=min_gap, blacklist=blacklist, min_length=1)
    contigs, region_split = cut_held_regions(contigs, regions, min_length)
    split_of = {c: s for s in HELD_OUT for c in held_out.get(s, [])}
    free = [i for i, ctg in enumerate(contigs) if ctg[0] not in split_of and region_split[i] is None]
    wanted = {s: 0.0 if held_out.get(s) or regions.get(s) else fractions.get(s, 0.0) for s in HELD_OUT}
    splits = [region_split[i] or split_of.get(ctg[0], "train") for i, ctg in enumerate(contigs)]
    for i, split in zip(free, assign_contigs([contigs[i] for i in free], wanted, seed)):
        splits[i] = split
    table = pd.DataFrame(contigs, columns=WINDOW_COLUMNS[:3]).assign(split=splits)
    return table.astype({"chrom": str, "start": np.int64, "end": np.int64, "split": str})


def tile_contigs(contigs: pd.DataFrame, *, seq_length: int, bin_size: int, train_stride: int,
                 eval_stride: int) -> pd.DataFrame:
    """Windows (chrom, start, end, split) tiled in each contig, every train_stride in train, eval_stride elsewhere."""
    rows = []
    for chrom, start, end, split in contigs[WINDOW_COLUMNS].itertuples(index=False):
        stride = train_stride if split == "train" else eval_stride
        for s in tile_windows(int(start), int(end), bin_size=bin_size, seq_length=seq_length, stride=stride):
            rows.append((chrom, int(s), int(s) + seq_length, split))
    return pd.DataFrame(rows, columns=WINDOW_COLUMNS).astype({"start": np.int64, "end": np.int64})


def genome_windows(fa: pyfaidx.Fasta, chroms: list[str], caps: dict[str, int], *, held_out: dict[str, list[str]],
                   fractions: dict[str, float], seed: int, min_gap: int, seq_length: int, bin_size: int,
                   train_stride: int, eval_stride: int,
                   blacklist: dict[str, list[tuple[int, int]]] | None = None) -> pd.DataFrame:
    """Windows (chrom, start, end, split in train/val/test) of `chroms`, each inside one contig of one split.

    `caps` limits each chromosome's length, `held_out` maps "val"/"test" to whole chromosomes and `fractions`
    ("val"/"test") sizes the other splits where no chromosome is held out. Check the settings first with
    `check_window_settings` and `resolve_chromosomes`.
    """
    contigs = split_contigs(fa, chroms, caps, held_out=held_out, fractions=fractions, seed=seed, min_gap=min_gap,
                            min_length=seq_length, blacklist=blacklist)
    return tile_contigs(contigs, seq_length=seq_length, bin_size=bin_size, train_stride=train_stride,
                        eval_stride=eval_stride)


def read_windows_tsv(tsv, columns: list[str], name_columns: tuple[str, ...] = ("chrom",),
                     extra: list[str] | None = None) -> pd.DataFrame:
    """Read a regions TSV written by a chain's regions step and check its columns (`columns` and, when given,
    at least one column starting with each `extra` prefix), splits (train/val/test) and coordinates."""
    try:
        df = pd.read_csv(tsv, sep="\t", dtype={**dict.fromkeys(name_columns, str), "split": str})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InputError(tsv, f"cannot read the regions TSV ({exc})", "rerun the regions step") from exc
    missing = [c for c in columns if c not in df.columns]
    missing += [f"{prefix}<name>" for prefix in extra or [] if not any(c.startswith(prefix) for c in df.columns)]
    if missing:
        raise InputError(tsv, f"missing columns {missing} (has {list(df.columns)})", "rerun the regions step")
    if df.empty or df[columns].isna().any().any() or not df["split"].isin(SPLITS).all():
        raise InputError(tsv, "empty, has missing values, or a split other than train/val/test",
                         "rerun the regions step")
    if not (pd.api.types.is_integer_dtype(df["start"]) and pd.api.types.is_integer_dtype(df["end"])
            and ((0 <= df["start"]) & (df["start"] < df["end"])).all()):
        raise InputError(tsv, "start/end are not integers with 0 <= start < end", "rerun the regions step")
    return df.astype({"start": np.int64, "end": np.int64})
