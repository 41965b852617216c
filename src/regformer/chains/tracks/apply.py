"""The tracks chain's apply hooks (regformer.apply.hooks): genome windows in, binned tracks (n_bins, n_tracks) out.

Geometry is the training store's (seq_length, bin_size, crop): a BED region is tiled with windows whose predicted
bins (the uncropped centre) abut, so every bin of the region is predicted once. Variant effects follow Basenji /
Enformer: SAD = the sum over the predicted bins of alt - ref, per track, with the variant at the window's centre
(regformer.apply.vcf says how indels are reconciled). The chain's evaluation scores the forward strand only, and
so do these stages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from regformer.apply.genome import WindowApply, window_store_context
from regformer.apply.tables import write_h5, write_tsv
from regformer.apply.vcf import annotate_vcf
from regformer.chains.tracks.export import binned_predictions
from regformer.io.atomic import atomic_path


def write_bigwig(out_bw, table: pd.DataFrame, lengths: dict[str, int], bin_size: int) -> None:
    """(chrom, start, value) bins as a bigWig with the FASTA's chromosome sizes (atomically)."""
    import pyBigWig

    with atomic_path(out_bw) as tmp:
        bw = pyBigWig.open(str(tmp), "w")
        try:
            bw.addHeader(list(lengths.items()), maxZooms=4)
            for chrom in lengths:
                part = table[table["chrom"] == chrom]
                if len(part):
                    starts = part["start"].to_numpy(np.int64)
                    ends = np.minimum(starts + bin_size, lengths[chrom])
                    bw.addEntries([chrom] * len(part), starts.tolist(), ends=ends.tolist(),
                                  values=part["value"].to_numpy(np.float64).tolist())
        finally:
            bw.close()


class TracksApply(WindowApply):
    """Hooks of the tracks chain."""

    @staticmethod
    def context(model_path: Path, saved: dict) -> dict:
        return window_store_context(model_path, ("seq_length", "bin_size", "crop", "tracks"))

    @staticmethod
    def scalar(prediction):
        """The explained number: the window's total predicted signal over every bin and track."""
        return prediction.sum(dim=tuple(range(1, prediction.ndim)))

    def predict(self, model, input_path, out_path, settings: dict) -> dict:
        """predict/NAME.h5 (prediction (windows, bins, tracks), [sd], regions) and NAME.<track>.bw per track."""
        context = model.context
        windows, lengths, datasets = self.region_predictions(model, input_path)
        datasets["tracks"] = np.array(context["tracks"], dtype=object)
        out_path = Path(out_path)
        for k, track in enumerate(context["tracks"]):
            table = binned_predictions(datasets["prediction"][:, :, k], windows, bin_size=context["bin_size"],
                                       crop=context["crop"])
            write_bigwig(out_path.with_name(f"{out_path.stem}.{track}.bw"), table, lengths, context["bin_size"])
        write_h5(out_path, datasets, attrs={k: context[k] for k in ("seq_length", "bin_size", "crop")})
        return {"n_windows": len(windows)}

    def variants(self, model, input_path, out_path, settings: dict) -> pd.DataFrame:
        """variants/NAME.tsv: per variant its status, and per track SAD (sum of alt - ref over the predicted
        bins), the bin of the largest |alt - ref| and that difference; NAME.vcf.gz: the input VCF with the SADs
        as INFO fields."""
        context = model.context
        _, table, scored, ref, alt = self.variant_predictions(model, input_path, settings)
        if scored:
            difference = alt - ref  # (n, bins, tracks)
            top = np.abs(difference).argmax(1)  # (n, tracks)
            for t, track in enumerate(context["tracks"]):
                table.loc[scored, f"sad_{track}"] = difference[:, :, t].sum(1)
                table.loc[scored, f"max_bin_{track}"] = top[:, t]
                table.loc[scored, f"max_diff_{track}"] = difference[np.arange(len(scored)), top[:, t], t]
        sad = [f"sad_{track}" for track in context["tracks"]]
        annotate_vcf(input_path, Path(out_path).with_suffix(".vcf.gz"), table.reindex(columns=sad), sad)
        write_tsv(table, out_path)
        return table

    def explain(self, model, input_path, out_path, settings: dict) -> dict:
        """explain/NAME.h5: ISM and captum attributions of the total predicted signal (at most 8 windows by
        default)."""
        return self.explain_windows(model, input_path, out_path, settings, max_sequences=8)


HOOKS = TracksApply()
