"""Validation of the tracks chain's input bigWigs: readable, non-empty, and of the FASTA's assembly.

Kept apart from regions and targets so both check bigWigs the same way without importing each other.
A bigWig may hold more chromosomes than the FASTA (e.g. chrM); every chromosome that is used must be in
it under its (aliased) name with exactly the FASTA's length.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pyBigWig

from regformer.errors import InputError


def open_bigwig(path) -> pyBigWig.pyBigWig:
    """Open a bigWig for reading; an unreadable file, a bigBed or a bigWig without data is an InputError."""
    try:
        bw = pyBigWig.open(str(path))
    except (RuntimeError, OSError) as exc:
        raise InputError(path, f"cannot open the bigWig ({exc})", "give a readable local bigWig file "
                         "(not bedGraph/wig: convert those with bedGraphToBigWig)") from exc
    if bw is None or not bw.isBigWig():
        raise InputError(path, "is not a bigWig (a bigBed?)", "give a bigWig file")
    if not bw.chroms() or not bw.header().get("nBasesCovered", 0):
        bw.close()
        raise InputError(path, "is an empty bigWig (no chromosomes or no data)", "give a bigWig with signal in it")
    return bw


@contextlib.contextmanager
def opened_bigwigs(paths: list[str]) -> Iterator[list[pyBigWig.pyBigWig]]:
    """Open every bigWig (checked as open_bigwig does) and close them all on leaving the block."""
    handles: list[pyBigWig.pyBigWig] = []
    try:
        for path in paths:
            handles.append(open_bigwig(path))
        yield handles
    finally:
        for bw in handles:
            bw.close()


def alias_hint(missing: dict[str, str], names: list[str]) -> str:
    """The fix for FASTA chromosomes whose bigWig names are missing (`missing`: FASTA name -> name looked for).

    When the bigWig has the name with or without a 'chr' prefix or in another case, the fix spells out the
    exact alias table (FASTA name -> bigWig name).
    """
    lower = {n.lower(): n for n in names}
    guess = {}
    for fasta_name, wanted in missing.items():
        bare = wanted[3:] if wanted.lower().startswith("chr") else wanted
        for cand in (wanted, bare, "chr" + bare):
            if cand.lower() in lower:
                guess[fasta_name] = lower[cand.lower()]
                break
    if not guess:
        return "use a FASTA of the bigWig's assembly, or map FASTA names to bigWig names with aliases"
    table = ", ".join(f"{k!r}: {v!r}" for k, v in guess.items())
    return (f"the names differ only by a 'chr' prefix or case: set aliases {{{table}}} (FASTA name -> bigWig name)"
            + ("" if len(guess) == len(missing) else " and map the others"))


def check_bigwig_chroms(path, bw: pyBigWig.pyBigWig, used: dict[str, str], sizes: dict[str, int],
                        partial: set[str] = frozenset()) -> None:
    """Fail unless every used FASTA chromosome (`used`: FASTA name -> bigWig name) is in the bigWig with the
    FASTA's exact length (`sizes`; at least that length for the `partial` ones, FASTA records of one region);
    another length means another assembly."""
    chroms = bw.chroms()
    missing = {f: b for f, b in used.items() if b not in chroms}
    if missing:
        shown = ", ".join(list(missing.values())[:10]) + (", ..." if len(missing) > 10 else "")
        raise InputError(path, f"chromosomes {shown} of the FASTA are not in the bigWig (bigWig has "
                         f"{', '.join(list(chroms)[:20])})", alias_hint(missing, list(chroms)))
    for fasta_name, bw_name in used.items():
        short = int(chroms[bw_name]) < int(sizes[fasta_name])
        if short or (int(chroms[bw_name]) != int(sizes[fasta_name]) and fasta_name not in partial):
            raise InputError(path, f"{bw_name} is {chroms[bw_name]} bp in the bigWig but {fasta_name} is "
                             f"{sizes[fasta_name]} bp in the FASTA (another assembly)",
                             "use a FASTA and bigWigs of the same assembly (or fix aliases)")


def bigwig_names(chroms: list[str], aliases: dict[str, str]) -> dict[str, str]:
    """FASTA chromosome -> bigWig chromosome (through the alias table); two FASTA names may not share one."""
    used = {c: aliases.get(c, c) for c in chroms}
    if len(set(used.values())) < len(used):
        raise InputError("aliases", "two FASTA chromosomes map to the same bigWig chromosome", "fix the alias table")
    return used
