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

from regformer.apply.explain import explain_codes
from regformer.apply.forward import summarize
from regformer.apply.tables import write_h5, write_tsv
from regformer.apply.vcf import read_vcf, variant_windows
from regformer.chains.tracks.export import binned_predictions
from regformer.data.encoding import INVALID, encode_fixed_length
from regformer.data.splits import split_rows
from regformer.data.windows import window_regions
from regformer.errors import InputError
from regformer.io.atomic import atomic_path
from regformer.io.fasta import fetch_codes, open_fasta
from regformer.io.stores import store_summary


def read_bed(path, lengths: dict[str, int]) -> pd.DataFrame:
    """chrom, start, end (and name) of a BED file; unknown chromosomes and empty regions are errors."""
    if not Path(path).exists():
        raise InputError(path, "no such BED file", "check the apply: entry of the config")
    bed = pd.read_csv(path, sep="\t", header=None, comment="#", dtype={0: str})
    bed = bed.rename(columns={0: "chrom", 1: "start", 2: "end", 3: "name"})
    for k, row in enumerate(bed.itertuples(index=False)):
        if row.chrom not in lengths or not 0 <= row.start < row.end <= lengths[row.chrom]:
            raise InputError(path, f"line {k + 1}: {row.chrom}:{row.start}-{row.end} is not a region of the FASTA",
                             f"give regions on {', '.join(list(lengths)[:5])} within the chromosome lengths")
    return bed


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


class TracksApply:
    """Hooks of the tracks chain."""

    reverse_output = None  # the chain evaluates the forward strand only

    @staticmethod
    def context(model_path: Path, saved: dict) -> dict:
        """The store's geometry, tracks and genome (its FASTA path read relative to the results' parent)."""
        store = Path(model_path).parent.parent / "targets.h5"
        if not store.exists():
            raise InputError(model_path, f"no targets store {store} beside the model",
                             "keep the model under results/tracks/<dataset>/<model>/ with its dataset's targets.h5")
        summary = store_summary(store)
        fasta = Path(summary["fasta"])
        if not fasta.is_absolute() and not fasta.exists():
            fasta = Path(model_path).resolve().parents[4] / fasta
        keys = ("seq_length", "bin_size", "crop", "tracks")
        return {**{k: summary[k] for k in keys}, "store": store, "fasta": fasta}

    @staticmethod
    def encode(inputs, context: dict) -> tuple[np.ndarray, list[str]]:
        """Strings, (n, L) codes or (n, 4, L) one-hot of the training length -> codes."""
        length = context["seq_length"]
        if isinstance(inputs, str):
            inputs = [inputs]
        if isinstance(inputs, (list, tuple)):
            if any(len(s) != length for s in inputs):
                raise InputError("inputs", f"sequences must be {length} bp (the training windows)",
                                 "cut windows of the training length, or predict a BED of regions")
            codes = encode_fixed_length(list(inputs), length)
            if (codes == INVALID).any():
                raise InputError("inputs", "characters other than ACGTN", "give DNA sequences")
            return codes, [""] * len(codes)
        array = np.asarray(inputs.detach().cpu() if hasattr(inputs, "detach") else inputs)
        codes = array.argmax(1).astype(np.uint8) if array.ndim == 3 else array.astype(np.uint8)
        if array.ndim == 3:
            codes[array.sum(1) == 0] = 4
        if codes.shape[1] != length:
            raise InputError("inputs", f"arrays of length {codes.shape[1]}, the model reads {length}",
                             "pass windows of the training length")
        return codes, [""] * len(codes)

    @staticmethod
    def scalar(prediction):
        """The explained number: the window's total predicted signal over every bin and track."""
        return prediction.sum(dim=tuple(range(1, prediction.ndim)))

    @staticmethod
    def tiles(bed: pd.DataFrame, context: dict) -> list[tuple[str, int, int]]:
        """Windows (chrom, start, end) whose predicted bins tile each region (the last may overhang its end)."""
        size, bin_size, crop = context["seq_length"], context["bin_size"], context["crop"]
        span = size - 2 * crop * bin_size
        windows = []
        for row in bed.itertuples(index=False):
            for first in range(int(row.start), int(row.end), span):
                start = first - crop * bin_size
                windows.append((row.chrom, start, start + size))
        return windows

    def predict(self, model, input_path, out_path, settings: dict) -> dict:
        """predict/NAME.h5 (prediction (windows, bins, tracks), [sd], regions) and NAME.<track>.bw per track."""
        context = model.context
        fasta, lengths = open_fasta(context["fasta"])
        windows = self.tiles(read_bed(input_path, lengths), context)
        codes = np.stack([fetch_codes(fasta, c, s, e) for c, s, e in windows])
        mean, sd = summarize(model.draws(codes))
        datasets = {"prediction": mean, "regions/chrom": np.array([w[0] for w in windows], dtype=object),
                    "regions/start": np.array([w[1] for w in windows]), "regions/end": np.array([w[2] for w in windows]),
                    "tracks": np.array(context["tracks"], dtype=object)}
        if sd is not None:
            datasets["sd"] = sd
        out_path = Path(out_path)
        for k, track in enumerate(context["tracks"]):
            table = binned_predictions(mean[:, :, k], windows, bin_size=context["bin_size"], crop=context["crop"])
            write_bigwig(out_path.with_name(f"{out_path.stem}.{track}.bw"), table, lengths, context["bin_size"])
        write_h5(out_path, datasets, attrs={k: context[k] for k in ("seq_length", "bin_size", "crop")})
        return {"n_windows": len(windows)}

    def variants(self, model, input_path, out_path, settings: dict) -> pd.DataFrame:
        """variants/NAME.tsv: per variant its status, and per track SAD (sum of alt - ref over the predicted
        bins), the bin of the largest |alt - ref| and that difference."""
        context = model.context
        fasta, lengths = open_fasta(context["fasta"])
        variants = read_vcf(input_path, fasta, lengths, context["seq_length"], settings.get("ref_mismatch", "error"))
        table = pd.DataFrame([vars(v) for v in variants], columns=["id", "chrom", "pos", "ref", "alt", "status"])
        scored = [k for k, v in enumerate(variants) if v.status == "ok"]
        if scored:
            pairs = [variant_windows(fasta, variants[k], context["seq_length"]) for k in scored]
            difference = model.draws(np.stack([p[1] for p in pairs])).mean(0) - model.draws(
                np.stack([p[0] for p in pairs])).mean(0)  # (n, bins, tracks)
            top = np.abs(difference).argmax(1)  # (n, tracks)
            for t, track in enumerate(context["tracks"]):
                table.loc[scored, f"sad_{track}"] = difference[:, :, t].sum(1)
                table.loc[scored, f"max_bin_{track}"] = top[:, t]
                table.loc[scored, f"max_diff_{track}"] = difference[np.arange(len(scored)), top[:, t], t]
        write_tsv(table, out_path)
        return table

    def explain(self, model, input_path, out_path, settings: dict) -> dict:
        """explain/NAME.h5: ISM over the central `ism_span` bp (default 200) of each window and captum attributions
        over the whole window, of the total predicted signal; windows from a BED or the test split ('test')."""
        context = model.context
        limit = settings.get("max_sequences", 8)
        fasta, lengths = open_fasta(context["fasta"])
        if str(input_path) == "test":
            windows = window_regions(context["store"], np.sort(split_rows(context["store"], "test"))[:limit])
        else:
            windows = self.tiles(read_bed(input_path, lengths), context)[:limit]
        codes = np.stack([fetch_codes(fasta, c, s, e) for c, s, e in windows])
        half = settings.get("ism_span", 200) // 2
        centre = context["seq_length"] // 2
        ids = [f"{c}:{s}-{e}" for c, s, e in windows]
        return explain_codes(model, ids, codes, out_path, {"modisco": False, **settings},
                             span=(centre - half, centre + half))


HOOKS = TracksApply()
