"""Shared by the chains whose models read genome windows (tracks, Hi-C): the store beside a trained model,
BED regions, and windows whose predicted (uncropped) bins tile them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from regformer.apply.explain import explain_codes
from regformer.apply.forward import summarize
from regformer.apply.vcf import read_vcf, variant_windows
from regformer.data.encoding import INVALID, encode_fixed_length
from regformer.data.splits import split_rows
from regformer.data.windows import window_regions
from regformer.errors import InputError
from regformer.io.fasta import fetch_codes, open_fasta
from regformer.io.stores import store_summary


def window_store_context(model_path: Path, keys: tuple[str, ...]) -> dict:
    """`keys` of the targets store beside results/<chain>/<dataset>/<model>/, with the store and its FASTA (a
    relative FASTA path is read from the folder holding results/)."""
    store = Path(model_path).parent.parent / "targets.h5"
    if not store.exists():
        raise InputError(model_path, f"no targets store {store} beside the model",
                         "keep the model under results/<chain>/<dataset>/<model>/ with its dataset's targets.h5")
    summary = store_summary(store)
    fasta = Path(summary["fasta"])
    if not fasta.is_absolute() and not fasta.exists():
        fasta = Path(model_path).resolve().parents[4] / fasta
    return {**{k: summary[k] for k in keys}, "store": store, "fasta": fasta}


def encode_windows(inputs, length: int) -> tuple[np.ndarray, list[str]]:
    """Strings, (n, L) codes or (n, 4, L) one-hot of exactly the training window length -> (n, L) codes."""
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
    return array_codes(inputs, length, "pass windows of the training length")


def array_codes(inputs, length: int, fix: str) -> tuple[np.ndarray, list[str]]:
    """(n, L) codes or (n, 4, L) one-hot (NumPy or torch; an all-zero column is N) -> (n, L) codes; L must be
    the model's input length (`fix` says what to do otherwise)."""
    array = np.asarray(inputs.detach().cpu() if hasattr(inputs, "detach") else inputs)
    codes = array.argmax(1).astype(np.uint8) if array.ndim == 3 else array.astype(np.uint8)
    if array.ndim == 3:
        codes[array.sum(1) == 0] = 4
    if codes.shape[1] != length:
        raise InputError("inputs", f"arrays of length {codes.shape[1]}, the model reads {length}", fix)
    return codes, [""] * len(codes)


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


def tile_regions(bed: pd.DataFrame, seq_length: int, bin_size: int, crop: int,
                 lengths: dict[str, int]) -> list[tuple[str, int, int]]:
    """Windows (chrom, start, end) on the bin grid whose predicted bins abut and cover each region; a window that
    would run off its chromosome is moved inside it (its bins then overlap a neighbour's, which are averaged)."""
    span = seq_length - 2 * crop * bin_size
    windows = []
    for row in bed.itertuples(index=False):
        last_start = (lengths[row.chrom] - seq_length) // bin_size * bin_size
        if last_start < 0:
            raise InputError(row.chrom, f"is {lengths[row.chrom]} bp, shorter than one window ({seq_length} bp)",
                             "predict regions on longer chromosomes")
        for first in range(int(row.start) // bin_size * bin_size, int(row.end), span):
            start = min(max(first - crop * bin_size, 0), last_start)
            windows.append((row.chrom, start, start + seq_length))
    return list(dict.fromkeys(windows))  # moved windows may repeat


class WindowApply:
    """What the genome-window chains' apply hooks share: training-length windows in, forward strand only."""

    reverse_output = None  # these chains evaluate the forward strand only

    @staticmethod
    def encode(inputs, context: dict) -> tuple[np.ndarray, list[str]]:
        return encode_windows(inputs, context["seq_length"])

    @staticmethod
    def tiles(bed: pd.DataFrame, context: dict, lengths: dict[str, int]) -> list[tuple[str, int, int]]:
        """Training-length windows whose predicted bins tile the BED's regions."""
        return tile_regions(bed, context["seq_length"], context["bin_size"], context["crop"], lengths)

    def region_predictions(self, model, input_path) -> tuple[list, dict[str, int], dict]:
        """The BED's regions tiled into windows and predicted: (windows, chromosome lengths, the predict .h5's
        datasets: prediction (windows, ...), [sd] and regions/{chrom,start,end})."""
        context = model.context
        fasta, lengths = open_fasta(context["fasta"])
        windows = self.tiles(read_bed(input_path, lengths), context, lengths)
        codes = np.stack([fetch_codes(fasta, c, s, e) for c, s, e in windows])
        mean, sd = summarize(model.draws(codes))
        datasets = {"prediction": mean, "regions/chrom": np.array([w[0] for w in windows], dtype=object),
                    "regions/start": np.array([w[1] for w in windows]), "regions/end": np.array([w[2] for w in windows])}
        if sd is not None:
            datasets["sd"] = sd
        return windows, lengths, datasets

    @staticmethod
    def variant_predictions(model, input_path, settings: dict):
        """The VCF read against the model's FASTA: (variants, their table (id, chrom, pos, ref, alt, status), the rows
        scored (status ok), and the mean predictions of their reference and alternative windows, None if none)."""
        context = model.context
        fasta, lengths = open_fasta(context["fasta"])
        variants = read_vcf(input_path, fasta, lengths, context["seq_length"], settings.get("ref_mismatch", "error"))
        table = pd.DataFrame([vars(v) for v in variants], columns=["id", "chrom", "pos", "ref", "alt", "status"])
        scored = [k for k, v in enumerate(variants) if v.status == "ok"]
        if not scored:
            return variants, table, scored, None, None
        pairs = [variant_windows(fasta, variants[k], context["seq_length"]) for k in scored]
        ref = model.draws(np.stack([p[0] for p in pairs])).mean(0)
        alt = model.draws(np.stack([p[1] for p in pairs])).mean(0)
        return variants, table, scored, ref, alt

    def explain_windows(self, model, input_path, out_path, settings: dict, max_sequences: int) -> dict:
        """explain/NAME.h5 for windows of the test split ('test') or of a BED (at most `max_sequences`, a setting):
        ISM over the central `ism_span` bp (default 200), captum attributions over the whole window."""
        context = model.context
        limit = settings.get("max_sequences", max_sequences)
        fasta, lengths = open_fasta(context["fasta"])
        if str(input_path) == "test":
            windows = window_regions(context["store"], np.sort(split_rows(context["store"], "test"))[:limit])
        else:
            windows = self.tiles(read_bed(input_path, lengths), context, lengths)[:limit]
        codes = np.stack([fetch_codes(fasta, c, s, e) for c, s, e in windows])
        half, centre = settings.get("ism_span", 200) // 2, context["seq_length"] // 2
        return explain_codes(model, [f"{c}:{s}-{e}" for c, s, e in windows], codes, out_path,
                             {"modisco": False, **settings}, span=(centre - half, centre + half))
