"""Alleles on sequences: check the reference allele, then build the alternative sequence."""

from __future__ import annotations

from regformer.errors import InputError


def check_alleles(ref: str, alt: str, source: str, where: str) -> tuple[str, str]:
    """Upper-case ACGT alleles; anything else (empty, symbolic <DEL>, IUPAC) is an error naming the record."""
    ref, alt = str(ref).upper(), str(alt).upper()
    for allele, name in ((ref, "ref"), (alt, "alt")):
        if not allele or set(allele) - set("ACGTN"):
            raise InputError(source, f"{where}: {name} allele {allele!r} is not a DNA sequence",
                             "give ref and alt as bases (A, C, G, T; an indel spells both alleles with the base "
                             "before it, as in a VCF)")
    return ref, alt


def substitute(sequence: str, start: int, ref: str, alt: str, source: str, where: str) -> str:
    """`sequence` with ref at 0-based `start` replaced by alt (an SNV, or an indel that changes the length).
    A ref that is not there is an error naming the record."""
    found = sequence[start:start + len(ref)].upper()
    if start < 0 or found != ref:
        raise InputError(source, f"{where}: ref {ref!r} does not match the sequence, which has {found!r} at "
                         f"position {start + 1}", "check the position (1-based) and the strand of the variant")
    return sequence[:start] + alt + sequence[start + len(ref):]
