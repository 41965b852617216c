"""The promoter chain's apply hooks (regformer.apply.hooks): sequences in, one expression value out.

New sequences are fitted to the model's input length exactly as the training library was
(regformer.data.encoding.encode_fixed_length: the last L bases kept, a shorter sequence N-padded at its 5' end),
and each output row says what was trimmed or padded. Both strands are averaged, as the chain's evaluation does.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from regformer.apply.alleles import check_alleles, substitute
from regformer.apply.forward import summarize
from regformer.apply.genome import array_codes
from regformer.apply.tables import read_sequences, read_table, write_tsv
from regformer.chains.promoter.synthetic import MOTIFS
from regformer.data.encoding import INVALID, encode_fixed_length
from regformer.errors import InputError

VARIANT_COLUMNS = ("id", "sequence", "position", "ref", "alt")


def length_note(size: int, length: int) -> str:
    """What fitting a sequence of `size` bases to the model's `length` did to it."""
    if size > length:
        return f"trimmed {size - length} bp at the 5' end"
    if size < length:
        return f"padded {length - size} N at the 5' end"
    return ""


class PromoterApply:
    """Hooks of the promoter chain."""

    @staticmethod
    def context(model_path: Path, saved: dict) -> dict:
        """The input length (the model's, else the dataset store's summary next to results/.../<model>/)."""
        summary = Path(model_path).parent.parent / "prepared" / "summary.json"
        length = saved.get("arch", {}).get("length")
        if length is None and summary.exists():
            length = json.loads(summary.read_text())["length"]
        if length is None:
            raise InputError(model_path, "the model does not record its input length and no prepared/summary.json "
                             "is beside its dataset", "keep the model under results/promoter/<dataset>/<model>/")
        store = summary.with_name("sequences.h5")
        return {"length": int(length), "store": store if store.exists() else None}

    @staticmethod
    def encode(inputs, context: dict) -> tuple[np.ndarray, list[str]]:
        """Strings (any length), (n, L) codes or (n, 4, L) one-hot -> (n, L) codes and per-input notes."""
        length = context["length"]
        if isinstance(inputs, str):
            inputs = [inputs]
        if isinstance(inputs, np.ndarray) or hasattr(inputs, "numpy"):
            return array_codes(inputs, length,
                               "pass strings (they are fitted to the length) or arrays of the model's length")
        sequences = [str(s) for s in inputs]
        codes = encode_fixed_length(sequences, length)
        if (codes == INVALID).any():
            bad = int(np.flatnonzero((codes == INVALID).any(1))[0])
            raise InputError("inputs", f"sequence {bad + 1} has characters other than ACGTN", "give DNA sequences")
        return codes, [length_note(len(s), length) for s in sequences]

    @staticmethod
    def reverse_output(prediction):
        return prediction  # one value per sequence: the same on both strands

    @staticmethod
    def scalar(prediction):
        return prediction

    def predict(self, model, input_path, out_path, settings: dict) -> pd.DataFrame:
        """predict/NAME.tsv: id, sequence, prediction, [sd], length_note."""
        ids, sequences = read_sequences(input_path)
        codes, notes = model.encode(sequences)
        mean, sd = summarize(model.draws(codes))
        table = pd.DataFrame({"id": ids, "sequence": sequences, "prediction": mean})
        if sd is not None:
            table["sd"] = sd
        table["length_note"] = notes
        write_tsv(table, out_path)
        return table

    def variants(self, model, input_path, out_path, settings: dict) -> pd.DataFrame:
        """variants/NAME.tsv: id, ref_prediction, alt_prediction, effect (alt - ref), [sd of the effect]."""
        frame = read_table(input_path, VARIANT_COLUMNS)
        alternatives = []
        for k, row in enumerate(frame.itertuples(index=False)):
            where = f"row {k + 2} (id {row.id})"
            ref, alt = check_alleles(row.ref, row.alt, input_path, where)
            try:
                start = int(row.position) - 1
            except ValueError:
                raise InputError(input_path, f"{where}: position {row.position!r} is not a number",
                                 "give the 1-based position of the ref allele in the sequence") from None
            alternatives.append(substitute(row.sequence, start, ref, alt, str(input_path), where))
        ref_codes, notes = model.encode(list(frame["sequence"]))
        alt_codes, _ = model.encode(alternatives)
        ref_draws, alt_draws = model.draws(ref_codes), model.draws(alt_codes)
        effect, sd = summarize(alt_draws - ref_draws)
        table = pd.DataFrame({"id": frame["id"], "ref_prediction": ref_draws.mean(0),
                              "alt_prediction": alt_draws.mean(0), "effect": effect})
        if sd is not None:
            table["sd"] = sd
        table["length_note"] = notes
        write_tsv(table, out_path)
        return table

    def explain(self, model, input_path, out_path, settings: dict) -> dict:
        """explain/NAME.h5 (ISM, captum attributions), NAME.png (logos of the top sequences and of the motifs),
        NAME.motifs.tsv (modisco-lite patterns, each with its best planted-motif match on a synthetic demo)."""
        from regformer.apply.explain import explain_codes

        ids, codes, synthetic = self._explained(model, input_path, settings)
        references = {name: motif for name, (motif, _) in MOTIFS.items()} if synthetic else None
        return explain_codes(model, ids, codes, out_path, settings, references=references)

    @staticmethod
    def _explained(model, input_path, settings: dict) -> tuple[list[str], np.ndarray, bool]:
        """Ids and codes of the sequences to explain (a sequences file, or the store's test split: 'test'), and
        whether they come from the synthetic library, whose planted motifs modisco-lite should find."""
        limit = settings.get("max_sequences")
        if str(input_path) == "test" or str(input_path).endswith(".h5"):
            store = model.context["store"] if str(input_path) == "test" else Path(input_path)
            if store is None:
                raise InputError(model.path, "no prepared store beside the model to take test sequences from",
                                 "give a FASTA or TSV of sequences to explain instead of 'test'")
            with h5py.File(store, "r") as h5:
                rows = np.sort(h5["index/test"][:])
                rows = rows[:limit] if limit else rows
                return [f"test_row{r}" for r in rows], h5["codes"][rows], "noise_free" in h5
        ids, sequences = read_sequences(input_path)
        codes, _ = model.encode(sequences[:limit] if limit else sequences)
        return ids[:len(codes)], codes, False


HOOKS = PromoterApply()
