"""Validation of the Hi-C chain's input coolers: resolution, balancing, chromosome names and lengths.

Kept apart from regions and targets so both can check coolers the same way without importing each other.
"""

from __future__ import annotations

import cooler

from regformer.errors import InputError


def check_resolution(clr: cooler.Cooler, expected_bin_size: int, uri: str) -> None:
    """Fail early when a cooler is not at the bin size the model's windows are cut for."""
    if clr.binsize != expected_bin_size:
        raise InputError(uri, f"resolution is {clr.binsize} bp but bin_size is {expected_bin_size} bp",
                         f"pick FILE.mcool::resolutions/{expected_bin_size} (or set bin_size to {clr.binsize})")


def check_balanced(clr: cooler.Cooler, uri: str) -> None:
    """Akita's targets start from the balanced matrix: a cooler without weights is an error, never a raw fallback."""
    if "weight" not in clr.bins().columns:
        raise InputError(uri, "has no 'weight' column (the matrix is not balanced)", f"run `cooler balance {uri}`")


def alias_hint(missing: list[str], fasta_of: dict[str, str], names: list[str]) -> str:
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


def check_lengths(uri: str, used: dict[str, str], sizes: dict[str, int], cooler_sizes, tolerance: int) -> None:
    """Every used chromosome's cooler length within `tolerance` bp of its FASTA length, else one error naming
    each chromosome and its difference: different lengths mean a different assembly (or release) unless the
    user accepts the difference knowingly with length_tolerance."""
    off = {f: int(cooler_sizes[c]) - sizes[f] for f, c in used.items() if abs(int(cooler_sizes[c]) - sizes[f])}
    too_far = {f: d for f, d in off.items() if abs(d) > tolerance}
    if not too_far:
        return
    worst = max(abs(d) for d in off.values())
    listed = ", ".join(f"{used[f]} {int(cooler_sizes[used[f]])} vs {f} {sizes[f]} ({d:+d} bp)"
                       for f, d in list(too_far.items())[:6]) + (", ..." if len(too_far) > 6 else "")
    raise InputError(uri, f"the cooler's chromosome lengths differ from the FASTA by up to {worst} bp ({len(off)} "
                     f"chromosomes differ, {len(too_far)} beyond length_tolerance {tolerance} bp: {listed}); the "
                     "cooler was probably built on another assembly or an older release of it",
                     f"use a FASTA of the cooler's assembly, or if the difference is only that release's, set "
                     f"length_tolerance: {worst} (bp) in the dataset's config to accept it knowingly")


def check_cooler(uri: str, used: dict[str, str], sizes: dict[str, int], bin_size: int,
                 length_tolerance: int = 0) -> cooler.Cooler:
    """Open a cooler and check resolution, balancing, chromosome names and lengths against the FASTA.

    `used` maps each FASTA chromosome to its cooler name, `sizes` holds the FASTA lengths; a length may differ
    by at most `length_tolerance` bp (the dataset's setting, default 0: the same assembly).
    """
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
                         alias_hint(missing, fasta_of, list(clr.chromnames)))
    check_lengths(uri, used, sizes, csizes, length_tolerance)
    return clr
