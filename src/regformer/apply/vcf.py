"""Variants from a VCF (plain or bgzip, read with cyvcf2) on a genome FASTA, and their reference / alternative
windows for a model of fixed input length.

Every record is checked: its chromosome is in the FASTA (else an error with the likely alias), its REF matches
the genome (else an error naming the record, or with ref_mismatch: skip a `ref_mismatch` status), its window fits
on the chromosome (else a `near_chrom_end` status). Multi-allelic records are split, one row per ALT.
Symbolic deletions (<DEL> with SVTYPE=DEL and END) take their REF from the genome.

Windows: the variant's first base sits at the window's centre (position L // 2). The alternative window keeps
the same start; after a deletion it is filled from the downstream flank, after an insertion its 3' end is cut, so
both windows hold L bases (Basenji/Enformer and SuPreMo keep the variant's left end fixed in the same way).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regformer.apply.alleles import substitute
from regformer.data.encoding import encode_fixed_length
from regformer.errors import InputError
from regformer.io.fasta import fetch_codes

REF_POLICIES = ("error", "skip")


@dataclass
class Variant:
    """One ALT of one VCF record (1-based pos, as in the VCF) and whether it can be scored."""

    id: str
    chrom: str
    pos: int
    ref: str
    alt: str
    status: str = "ok"


def _name_hint(chrom: str, names: list[str]) -> str:
    bare = chrom[3:] if chrom.lower().startswith("chr") else chrom
    for candidate in (bare, "chr" + bare):
        if candidate in names:
            return f"the FASTA calls it {candidate!r}: rename the VCF's chromosomes (bcftools annotate --rename-chrs)"
    return f"use the FASTA's chromosome names ({', '.join(names[:5])}{', ...' if len(names) > 5 else ''})"


def read_vcf(vcf_path: str | Path, fasta, lengths: dict[str, int], seq_length: int,
             ref_mismatch: str = "error") -> list[Variant]:
    """The VCF's variants, checked against the genome (see the module docstring)."""
    from cyvcf2 import VCF

    if ref_mismatch not in REF_POLICIES:
        raise InputError("ref_mismatch", f"unknown policy {ref_mismatch!r}", f"use one of {list(REF_POLICIES)}")
    if not Path(vcf_path).exists():
        raise InputError(vcf_path, "no such VCF", "check the apply: entry of the config")
    variants = []
    for record in VCF(str(vcf_path)):
        where = f"record {record.CHROM}:{record.POS} {record.REF}>{','.join(record.ALT)}"
        if record.CHROM not in lengths:
            raise InputError(vcf_path, f"{where}: chromosome {record.CHROM!r} is not in the FASTA",
                             _name_hint(record.CHROM, list(lengths)))
        ref = record.REF.upper()
        alts = [a.upper() for a in record.ALT]
        if alts == ["<DEL>"] and record.INFO.get("SVTYPE") == "DEL" and record.INFO.get("END"):
            end = int(record.INFO.get("END"))
            ref = "".join("ACGTN"[c] for c in fetch_codes(fasta, record.CHROM, record.POS - 1, end))
            alts = [ref[0]]
        for alt in alts:
            if set(alt) - set("ACGTN") or not alt:
                raise InputError(vcf_path, f"{where}: ALT {alt!r} is not a sequence",
                                 "give sequence alleles, or <DEL> with SVTYPE=DEL and END")
            genome = "".join("ACGTN"[c] for c in fetch_codes(fasta, record.CHROM, record.POS - 1,
                                                             record.POS - 1 + len(ref)))
            status = "ok"
            if genome != ref:
                if ref_mismatch == "error":
                    raise InputError(vcf_path, f"{where}: REF {ref!r} does not match the genome, which has {genome!r}",
                                     "check the VCF's assembly, or set ref_mismatch: skip to score the others")
                status = "ref_mismatch"
            start = record.POS - 1 - seq_length // 2
            if status == "ok" and (start < 0 or start + seq_length + len(ref) > lengths[record.CHROM]):
                status = "near_chrom_end"
            variants.append(Variant(record.ID or f"{record.CHROM}:{record.POS}:{ref}:{alt}", record.CHROM,
                                    record.POS, ref, alt, status))
    return variants


def variant_windows(fasta, variant: Variant, seq_length: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(reference codes, alternative codes, window start): both seq_length long, the variant at the centre."""
    start = variant.pos - 1 - seq_length // 2
    extra = max(0, len(variant.ref) - len(variant.alt))
    codes = fetch_codes(fasta, variant.chrom, start, start + seq_length + extra)
    text = "".join("ACGTN"[c] for c in codes)
    alt_text = substitute(text, seq_length // 2, variant.ref, variant.alt, variant.chrom, variant.id)
    return codes[:seq_length].copy(), encode_fixed_length([alt_text[:seq_length]], seq_length)[0], start


def annotate_vcf(vcf_path: str | Path, out_path: str | Path, table, columns: list[str]) -> None:
    """The input VCF with `columns` of the variants table (one row per ALT, in record order, as read_vcf gives
    them) added as INFO fields (Number=A; `.` where a variant was not scored), bgzipped (atomically)."""
    from cyvcf2 import VCF, Writer

    from regformer.io.atomic import atomic_path

    reader = VCF(str(vcf_path))
    for column in columns:
        reader.add_info_to_header({"ID": column, "Description": f"regformer {column} (alt - ref)", "Type": "Float",
                                   "Number": "A"})
    row = 0
    with atomic_path(out_path) as tmp:
        writer = Writer(str(tmp), reader, mode="wz")
        for record in reader:
            n_alt = len(record.ALT)
            for column in columns:
                values = table[column].iloc[row:row + n_alt].to_numpy(dtype=float)
                if np.isfinite(values).all():
                    record.INFO[column] = ",".join(f"{v:.6g}" for v in values)
            writer.write_record(record)
            row += n_alt
        writer.close()
    reader.close()
