"""The promoter demo's apply-stage Reach figures: predicted SNV effects against the simulator's noise-free effects.

    PYTHONPATH=src OMP_NUM_THREADS=1 nice python bench/apply_reach_promoter.py results/promoter/demo \
        [--n-snvs 2000] [--out bench/results/apply_reach_promoter.json]

2,000 random SNVs (seed 0) of the test split's sequences; the truth is the planted grammar's noise-free
expression of the alternative minus the reference (chains/promoter/synthetic.noise_free_expression), the
prediction each model's alt - ref (both strands averaged, ensembles averaged). Pearson per model.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import h5py
import numpy as np
from scipy.stats import pearsonr

from regformer.apply.model import ApplyModel
from regformer.chains.promoter.synthetic import noise_free_expression


def random_snvs(codes: np.ndarray, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ref = codes[rng.integers(0, len(codes), n)]
    alt = ref.copy()
    rows, positions = np.arange(n), rng.integers(0, codes.shape[1], n)
    alt[rows, positions] = (np.minimum(ref[rows, positions], 3) + rng.integers(1, 4, n)) % 4
    return ref, alt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset_dir")
    parser.add_argument("--n-snvs", type=int, default=2000)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    root = Path(args.dataset_dir)
    with h5py.File(root / "prepared" / "sequences.h5", "r") as h5:
        codes = h5["codes"][np.sort(h5["index/test"][:])]
    ref, alt = random_snvs(codes, args.n_snvs)
    truth = noise_free_expression(alt) - noise_free_expression(ref)
    rows = []
    for path in sorted(root.glob("*/model.pt")):
        model = ApplyModel(path, "promoter", batch_size=1024)
        predicted = model.predict_codes(alt) - model.predict_codes(ref)
        rows.append({"model": model.name, "folder": path.parent.name, "n_snvs": args.n_snvs,
                     "pearson": float(pearsonr(predicted, truth)[0]),
                     "n_nonzero_truth": int((np.abs(truth) > 1e-6).sum())})
        print(f"{path.parent.name:<24} Pearson(predicted, noise-free SNV effect) = {rows[-1]['pearson']:.3f}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
