"""The tracks and Hi-C demos' apply-stage Reach figures, on the simulators' planted sites (the truth).

    PYTHONPATH=src OMP_NUM_THREADS=1 nice python bench/apply_reach_genome.py tracks results/tracks/demo \
        [--n 100] [--out bench/results/apply_reach_tracks.json]
    PYTHONPATH=src OMP_NUM_THREADS=1 nice python bench/apply_reach_genome.py hic results/hic/demo [--n 60]

tracks: --n SNVs inside planted accessibility / ChIP / strong-promoter motifs and --n SNVs at least 200 bp from any
motif, on the test chromosome; AUROC of the total |SAD| over the tracks (the variants stage's scores) for inside vs
outside; and the AUROC of |integrated gradients| at motif bases against the other bases of --windows test windows.
hic: --n deletions of planted CTCF-like sites (the site's 19 bp) and --n deletions of 19 bp at least 2 kb from
any site (drawn from every such start on a 19 bp grid of the test chromosome); AUROC of the MSE disruption score (mean over maps) for site vs background.
Both write a VCF of the variants next to --out and score it through the variants stage (regformer.apply.stages).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from regformer.apply.model import ApplyModel
from regformer.apply.stages import run_stage
from regformer.io.fasta import fetch_codes, open_fasta

BASES = "ACGTN"


def write_vcf(path: Path, chrom: str, records: list[tuple[int, str, str, str]]) -> None:
    lines = ["##fileformat=VCFv4.2", f"##contig=<ID={chrom}>", "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"]
    lines += [f"{chrom}\t{pos}\t{name}\t{ref}\t{alt}\t.\t.\t." for pos, name, ref, alt in sorted(records)]
    path.write_text("\n".join(lines) + "\n")


def far_from(positions: np.ndarray, sites: pd.DataFrame, distance: int) -> np.ndarray:
    starts, ends = np.sort(sites["start"].to_numpy()), np.sort(sites["end"].to_numpy())
    before = np.searchsorted(starts, positions + distance)  # sites starting before pos + distance
    after = np.searchsorted(ends, positions - distance)  # sites ending before pos - distance
    return before == after


def tracks_reach(root: Path, n: int, n_windows: int, work: Path, seed: int = 0) -> list[dict]:
    from regformer.chains.tracks.synthetic_genome import scan_sites

    models = sorted(root.glob("*/model.pt"))
    context = ApplyModel(models[0], "tracks").context
    fasta, lengths = open_fasta(context["fasta"])
    chrom = pd.read_csv(root / "regions.tsv", sep="\t").query("split == 'test'")["chrom"].iloc[0]
    text = "".join(BASES[c] for c in fetch_codes(fasta, chrom, 0, lengths[chrom]))
    sites = scan_sites({chrom: np.frombuffer(text.encode(), dtype=np.uint8)})
    margin = context["seq_length"]
    functional = sites[sites["name"].isin(["access", "chip", "promoter_strong"])]
    functional = functional[(functional["start"] > margin) & (functional["end"] < lengths[chrom] - margin)]
    rng = np.random.default_rng(seed)
    picked = functional.iloc[rng.choice(len(functional), min(n, len(functional)), replace=False)]
    inside = picked["start"].to_numpy() + rng.integers(0, 12, len(picked))
    candidates = rng.integers(margin, lengths[chrom] - margin, 20 * n)
    outside = candidates[far_from(candidates, sites, 200)][:n]
    records = []
    for label, positions in (("in", inside), ("out", outside)):
        for k, pos in enumerate(positions):
            ref = text[pos]
            records.append((int(pos) + 1, f"{label}{k}", ref, "ACGT"[("ACGT".index(ref) + 1 + k % 3) % 4]))
    write_vcf(work / "tracks_reach.vcf", chrom, records)
    rows = []
    for path in models:
        table = run_stage("variants", "tracks", path, work / "tracks_reach.vcf", work / f"tracks_{path.parent.name}.tsv")
        score = table.filter(like="sad_").abs().sum(1)
        truth = table["id"].str.startswith("in")
        row = {"model": path.parent.name, "n_inside": int(truth.sum()), "n_outside": int((~truth).sum()),
               "sad_auroc": float(roc_auc_score(truth, score))}
        model = ApplyModel(path, "tracks")
        if model.is_torch:
            row["ig_auroc"] = attribution_auroc(model, sites, chrom, n_windows)
        rows.append(row)
        print(row)
    return rows


def attribution_auroc(model: ApplyModel, sites: pd.DataFrame, chrom: str, n_windows: int) -> float:
    """AUROC of |integrated gradients| (summed over bases) at functional motif bases vs the other bases."""
    from regformer.apply.attribution import attributions
    from regformer.data.splits import split_rows
    from regformer.data.windows import window_regions

    store = model.context["store"]
    fasta, _ = open_fasta(model.context["fasta"])
    windows = [w for w in window_regions(store, np.sort(split_rows(store, "test"))) if w[0] == chrom][:n_windows]
    codes = np.stack([fetch_codes(fasta, c, s, e) for c, s, e in windows])
    scores = np.abs(attributions(model.model, codes, scalar=model.hooks.scalar, n_steps=16, batch_size=2).sum(1))
    functional = sites[sites["name"].isin(["access", "chip", "promoter_strong"])]
    labels = np.zeros_like(scores, dtype=bool)
    for i, (_, start, end) in enumerate(windows):
        for s, e in functional[(functional["start"] >= start) & (functional["end"] <= end)][["start", "end"]].to_numpy():
            labels[i, s - start:e - start] = True
    return float(roc_auc_score(labels.ravel(), scores.ravel()))


def hic_reach(root: Path, n: int, work: Path, seed: int = 0) -> list[dict]:
    from regformer.chains.hic.synthetic_genome import CTCF_CORE

    sites = pd.read_csv(root / "raw" / "sites.bed", sep="\t", header=None).iloc[:, :3]
    sites.columns = ["chrom", "start", "end"]
    models = sorted(root.glob("akita*/model.pt"))
    context = ApplyModel(models[0], "hic").context
    fasta, lengths = open_fasta(context["fasta"])
    chrom = pd.read_csv(root / "regions.tsv", sep="\t").query("split == 'test'")["chrom"].iloc[0]
    margin, size = context["seq_length"], len(CTCF_CORE)
    on = sites[(sites["chrom"] == chrom) & (sites["start"] > margin) & (sites["end"] < lengths[chrom] - margin)]
    rng = np.random.default_rng(seed)
    on = on.iloc[rng.choice(len(on), min(n, len(on)), replace=False)]
    candidates = np.arange(margin, lengths[chrom] - margin - size, size)  # every start on a 19 bp grid
    candidates = candidates[far_from(candidates, sites[sites["chrom"] == chrom], 2000)]
    background = np.sort(rng.choice(candidates, min(n, len(candidates)), replace=False))
    records = []
    for label, starts in (("site", on["start"].to_numpy() - 1), ("background", background)):
        for k, start in enumerate(starts):  # the base before the deleted 19 bp carries the VCF's REF/ALT anchor
            ref = "".join(BASES[c] for c in fetch_codes(fasta, chrom, int(start), int(start) + size + 1))
            records.append((int(start) + 1, f"{label}{k}", ref, ref[0]))
    write_vcf(work / "hic_reach.vcf", chrom, records)
    rows = []
    for path in models:
        table = run_stage("variants", "hic", path, work / "hic_reach.vcf", work / f"hic_{path.parent.name}.tsv")
        ok = table["status"] == "ok"
        truth = table.loc[ok, "id"].str.startswith("site")
        score = table.loc[ok].filter(like="mse_").mean(1)
        rows.append({"model": path.parent.name, "n_sites": int(truth.sum()), "n_background": int((~truth).sum()),
                     "mse_auroc": float(roc_auc_score(truth, score))})
        print(rows[-1])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chain", choices=["tracks", "hic"])
    parser.add_argument("dataset_dir")
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--out", default="bench/results/apply_reach.json")
    args = parser.parse_args()
    work = Path(args.out).parent
    work.mkdir(parents=True, exist_ok=True)
    root = Path(args.dataset_dir)
    rows = tracks_reach(root, args.n, args.windows, work) if args.chain == "tracks" else hic_reach(root, args.n, work)
    Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
