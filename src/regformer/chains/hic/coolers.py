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
    """Open a cooler and check resolution, balancing, chromosome names and lengths against the FASTA.

    `used` maps each FASTA chromosome to its cooler name, `sizes` holds the FASTA lengths; a length may differ
    by up to one bin (the last, partial bin).
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
                         _alias_hint(missing, fasta_of, list(clr.chromnames)))
    for fname, cname in used.items():
        if abs(int(csizes[cname]) - sizes[fname]) > bin_size:
            raise InputError(uri, f"{cname} is {int(csizes[cname])} bp in the cooler but {fname} is {sizes[fname]} bp"
                             " in the FASTA", "use a FASTA and coolers of the same assembly (or fix aliases)")
    return clr
