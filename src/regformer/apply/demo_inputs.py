"""Inputs for the demo's apply stage cut from the demo genome itself, so their REF alleles always match it:
a BED of one region and a VCF of random SNVs plus one deletion, on the dataset's test chromosome."""

from __future__ import annotations


import numpy as np

from regformer.io.atomic import atomic_path
from regformer.io.fasta import fetch_codes, open_fasta

BASES = "ACGTN"


def write_demo_inputs(fasta_path, chrom: str, out_bed, out_vcf, *, region_length: int, margin: int,
                      n_snvs: int = 20, deletion_length: int = 300, seed: int = 0) -> None:
    """A BED of `region_length` bp in the middle of `chrom`, and a VCF of `n_snvs` SNVs at least `margin` bp from
    either end (ACGT reference bases only) and one deletion, sorted by position."""
    fasta, lengths = open_fasta(fasta_path)
    length = lengths[chrom]
    centre = length // 2
    with atomic_path(out_bed) as tmp:
        tmp.write_text(f"{chrom}\t{centre - region_length // 2}\t{centre + region_length // 2}\tdemo_region\n")
    rng = np.random.default_rng(seed)
    records = []
    for pos in np.sort(rng.choice(np.arange(margin, length - margin - deletion_length), n_snvs, replace=False)):
        ref = int(fetch_codes(fasta, chrom, int(pos), int(pos) + 1)[0])
        if ref < 4:
            alt = (ref + int(rng.integers(1, 4))) % 4
            records.append((int(pos) + 1, f"snv{len(records) + 1}", BASES[ref], BASES[alt]))
    start = int(rng.integers(margin, length - margin - deletion_length))
    ref = "".join(BASES[c] for c in fetch_codes(fasta, chrom, start, start + deletion_length + 1))
    records.append((start + 1, f"del{deletion_length}", ref, ref[0]))
    lines = ["##fileformat=VCFv4.2", f"##contig=<ID={chrom},length={length}>",
             "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{chrom}\t{pos}\t{name}\t{r}\t{a}\t.\t.\t." for pos, name, r, a in sorted(records)]
    with atomic_path(out_vcf) as tmp:
        tmp.write_text("\n".join(lines) + "\n")


def write_sequence_demo_inputs(store_path, out_fasta, out_variants, *, n_sequences: int = 12, n_snvs: int = 24,
                               seed: int = 0) -> None:
    """For a sequence (promoter) store: a FASTA of test-split sequences (a few trimmed or extended at the 5' end,
    so the length note shows) and a variants TSV of random SNVs, one deletion and one insertion in them."""
    import h5py

    from regformer.data.encoding import decode

    rng = np.random.default_rng(seed)
    with h5py.File(store_path, "r") as h5:
        rows = np.sort(h5["index/test"][:])[:n_sequences]
        sequences = [s.lstrip("N") for s in decode(h5["codes"][rows])]
    sequences = [s[3:] if k % 4 == 1 else ("ACG" + s if k % 4 == 2 else s) for k, s in enumerate(sequences)]
    with atomic_path(out_fasta) as tmp:
        tmp.write_text("".join(f">test_row{r}\n{s}\n" for r, s in zip(rows, sequences)))
    lines = ["id\tsequence\tposition\tref\talt"]
    for k in range(n_snvs):
        seq = sequences[k % len(sequences)]
        pos = int(rng.integers(0, len(seq)))
        alt = "ACGT"[("ACGT".index(seq[pos]) + int(rng.integers(1, 4))) % 4] if seq[pos] in "ACGT" else "A"
        lines.append(f"snv{k + 1}\t{seq}\t{pos + 1}\t{seq[pos]}\t{alt}")
    seq = sequences[0]
    lines.append(f"del2\t{seq}\t40\t{seq[39:42]}\t{seq[39]}")
    lines.append(f"ins3\t{seq}\t60\t{seq[59]}\t{seq[59]}GAT")
    with atomic_path(out_variants) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
