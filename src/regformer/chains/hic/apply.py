"""The Hi-C chain's apply hooks (regformer.apply.hooks): genome windows in, upper triangles of log(obs/exp) maps
(n_pixels, n_maps) out.

Predict tiles a BED's regions with windows whose predicted bins abut (geometry of the training store) and writes
one .cool per map (chains/hic/stitch, HiGlass-ready) and an .h5. Variant scores are Akita's / SuPreMo's: the
mean squared difference and 1 - Pearson between the reference and the alternative map, per map. The windows keep
the variant's left end at the centre (regformer.apply.vcf); after an indel of k bp the two maps are aligned as
SuPreMo does: the bins overlapping the deleted (or inserted) sequence are masked in the map that has it, and the
last bins that only the other map has (the flank pulled in, or pushed out) are masked in the other, so the
compared pixels hold the same sequence on both sides.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from regformer.apply.genome import WindowApply, window_store_context
from regformer.apply.tables import write_h5, write_tsv
from regformer.apply.vcf import annotate_vcf
from regformer.chains.hic.stitch import stitch_to_cool
from regformer.data.contact_maps import triu_to_matrix

KEYS = ("seq_length", "bin_size", "crop", "diagonal_offset", "maps")


def kept_bins(n_bins: int, bin_size: int, crop: int, centre: int, ref_len: int, alt_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Boolean (n_bins,) masks of the reference's and the alternative's bins holding shared sequence."""
    def covering(first_bp: int, n_bp: int) -> np.ndarray:
        keep = np.ones(n_bins, dtype=bool)
        if n_bp > 0:
            lo = first_bp // bin_size - crop
            hi = (first_bp + n_bp - 1) // bin_size - crop + 1
            keep[max(lo, 0):max(min(hi, n_bins), 0)] = False
        return keep

    changed = abs(ref_len - alt_len)
    window_end = (n_bins + 2 * crop) * bin_size
    if ref_len > alt_len:  # a deletion: masked where it was in the reference, the new 3' flank in the alternative
        keep_ref, keep_alt = covering(centre + alt_len, changed), covering(window_end - changed, changed)
    else:
        keep_ref, keep_alt = covering(window_end - changed, changed), covering(centre + ref_len, changed)
    for keep, other in ((keep_ref, keep_alt), (keep_alt, keep_ref)):  # the same number of bins on both sides:
        while keep.sum() > other.sum():  # the one with more loses its last kept bins (a bin straddles the edge)
            keep[np.flatnonzero(keep)[-1]] = False
    return keep_ref, keep_alt


def disruption(ref_vec: np.ndarray, alt_vec: np.ndarray, n_bins: int, diagonal_offset: int,
               keep_ref: np.ndarray, keep_alt: np.ndarray) -> tuple[float, float]:
    """(MSE, 1 - Pearson) between two maps' upper triangles after their masked bins are removed."""
    ref = triu_to_matrix(ref_vec, n_bins, diagonal_offset)[np.ix_(keep_ref, keep_ref)]
    alt = triu_to_matrix(alt_vec, n_bins, diagonal_offset)[np.ix_(keep_alt, keep_alt)]
    rows, cols = np.triu_indices(len(ref), diagonal_offset)
    a, b = ref[rows, cols], alt[rows, cols]
    finite = np.isfinite(a) & np.isfinite(b)
    a, b = a[finite], b[finite]
    return float(np.mean((a - b) ** 2)), float(1 - np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else 0.0


def draw_variant_maps(out_png, ids: list[str], ref_maps: np.ndarray, alt_maps: np.ndarray, context: dict) -> None:
    """The reference and alternative maps (first map) of the top-scoring variants, one row each (atomically)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from regformer.io.atomic import atomic_path
    from regformer.report.figures import fig_to_png

    fig, axes = plt.subplots(len(ids), 2, figsize=(6, 3 * len(ids)), squeeze=False)
    for row, name in enumerate(ids):
        for col, (label, vec) in enumerate((("reference", ref_maps[row]), ("alternative", alt_maps[row]))):
            axes[row, col].imshow(triu_to_matrix(vec, context["n_bins"], context["diagonal_offset"]), cmap="RdBu_r",
                                  vmin=-1, vmax=1)
            axes[row, col].set_title(f"{name}: {label} ({context['maps'][0]})", fontsize=8)
            axes[row, col].axis("off")
    png = fig_to_png(fig, dpi=80)
    with atomic_path(out_png) as tmp:
        tmp.write_bytes(png)


class HicApply(WindowApply):
    """Hooks of the Hi-C chain."""

    @staticmethod
    def context(model_path: Path, saved: dict) -> dict:
        context = window_store_context(model_path, KEYS)
        context["n_bins"] = context["seq_length"] // context["bin_size"] - 2 * context["crop"]
        return context

    @staticmethod
    def scalar(prediction):
        """The explained number: the mean predicted log(obs/exp) over the map's pixels and maps."""
        return prediction.mean(dim=tuple(range(1, prediction.ndim)))

    def predict(self, model, input_path, out_path, settings: dict) -> dict:
        """predict/NAME.h5 (prediction (windows, pixels, maps), [sd], regions) and NAME.<map>.cool per map."""
        context = model.context
        windows, lengths, datasets = self.region_predictions(model, input_path)
        out_path = Path(out_path)
        for m, name in enumerate(context["maps"]):
            stitch_to_cool(datasets["prediction"][:, :, m], windows, lengths,
                           out_path.with_name(f"{out_path.stem}.{name}.cool"), bin_size=context["bin_size"],
                           crop=context["crop"], diagonal_offset=context["diagonal_offset"])
        datasets["maps"] = np.array(context["maps"], dtype=object)
        write_h5(out_path, datasets, attrs={k: context[k] for k in KEYS[:4]})
        return {"n_windows": len(windows)}

    def variants(self, model, input_path, out_path, settings: dict) -> pd.DataFrame:
        """variants/NAME.tsv: per variant its status and, per map, mse_<map> and one_minus_pearson_<map>; NAME.png:
        the reference and alternative maps of the `n_maps` (3) variants with the largest MSE, for the report."""
        context = model.context
        variants, table, scored, ref_maps, alt_maps = self.variant_predictions(model, input_path, settings)
        if scored:
            centre = context["seq_length"] // 2
            for i, k in enumerate(scored):
                keep = kept_bins(context["n_bins"], context["bin_size"], context["crop"], centre,
                                 len(variants[k].ref), len(variants[k].alt))
                for m, name in enumerate(context["maps"]):
                    mse, r = disruption(ref_maps[i, :, m], alt_maps[i, :, m], context["n_bins"],
                                        context["diagonal_offset"], *keep)
                    table.loc[k, f"mse_{name}"] = mse
                    table.loc[k, f"one_minus_pearson_{name}"] = r
            top = np.argsort(-table.loc[scored].filter(like="mse_").mean(1).to_numpy())[:settings.get("n_maps", 3)]
            draw_variant_maps(Path(out_path).with_suffix(".png"), [table.loc[scored[i], "id"] for i in top],
                              ref_maps[top, :, 0], alt_maps[top, :, 0], context)
        mse = [f"mse_{name}" for name in context["maps"]]
        annotate_vcf(input_path, Path(out_path).with_suffix(".vcf.gz"), table.reindex(columns=mse), mse)
        write_tsv(table, out_path)
        return table

    def explain(self, model, input_path, out_path, settings: dict) -> dict:
        """explain/NAME.h5: ISM and captum attributions of the mean predicted map (at most 4 windows by default)."""
        return self.explain_windows(model, input_path, out_path, settings, max_sequences=4)


HOOKS = HicApply()

