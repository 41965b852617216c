"""The explain stage for any chain: ISM and captum contribution scores of chosen inputs, logos of the top
examples and of the motifs modisco-lite finds in them.

Writes explain/NAME.h5 (ids, codes, prediction; ism (k, L, 4) and ism_contribution (k, 4, L) of the k =
ism_max_sequences top-predicted inputs, their rows in ism_rows; attribution (n, 4, L) of every input; modisco-lite
patterns, found on the gradients' hypothetical contributions of a network, on ISM's for a ridge), NAME.png
(logos) and NAME.motifs.tsv (one row per pattern; with `references`, e.g. a synthetic demo's planted motifs, its
best-matching reference and their similarity).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from regformer.apply.attribution import attributions_with_hypothetical
from regformer.apply.ism import hypothetical_scores, ism
from regformer.apply.motifs import discover_motifs, draw_logos, ppm_similarity
from regformer.apply.tables import write_h5, write_tsv

log = logging.getLogger(__name__)


def sibling(out_path: str | Path, suffix: str) -> Path:
    """explain/NAME.h5 -> explain/NAME<suffix> (the stage's other files)."""
    out_path = Path(out_path)
    return out_path.with_name(out_path.name.removesuffix(".h5") + suffix)


def motif_table(patterns, references: dict[str, str] | None) -> pd.DataFrame:
    """One row per pattern: name, seqlets, consensus and, given references, the best match and its similarity."""
    rows = []
    for pattern in patterns:
        row = {"pattern": pattern.name, "n_seqlets": pattern.n_seqlets, "consensus": pattern.consensus}
        if references:
            scores = {name: ppm_similarity(pattern.ppm, motif) for name, motif in references.items()}
            best = max(scores, key=scores.get)
            row.update(best_match=best, similarity=scores[best])
        rows.append(row)
    columns = ["pattern", "n_seqlets", "consensus"] + (["best_match", "similarity"] if references else [])
    return pd.DataFrame(rows, columns=columns)


def explain_codes(model, ids: list[str], codes: np.ndarray, out_path: str | Path, settings: dict,
                  references: dict[str, str] | None = None, span: tuple[int, int] | None = None) -> dict:
    """Contribution scores of `codes` under an ApplyModel (ISM over `span` only, when given); returns a summary
    with the ISM speed."""
    hooks = model.hooks

    def scalar_predict(batch: np.ndarray) -> np.ndarray:
        return hooks.scalar(torch.from_numpy(model.predict_codes(batch))).numpy()

    predictions = scalar_predict(codes)
    n_ism = min(len(codes), settings.get("ism_max_sequences", len(codes)))
    ism_rows = np.sort(np.argsort(-predictions, kind="stable")[:n_ism])  # the top-predicted inputs
    started = time.perf_counter()
    effects = ism(scalar_predict, codes[ism_rows], batch_size=settings.get("ism_batch_size", 1024), span=span)
    ism_seconds = time.perf_counter() - started
    x = np.eye(5, 4, dtype=np.float32)[codes].transpose(0, 2, 1)  # N -> all zeros
    hypothetical = hypothetical_scores(effects)
    datasets = {"ids": np.array(ids, dtype=object), "codes": codes, "prediction": predictions, "ism_rows": ism_rows,
                "ism": effects, "ism_contribution": hypothetical * x[ism_rows]}
    method = settings.get("method", "integrated_gradients")
    if model.is_torch:  # modisco-lite then reads the gradients' hypothetical contributions of every input
        datasets["attribution"], hypothetical = attributions_with_hypothetical(
            model.model, codes, scalar=hooks.scalar, reverse_output=hooks.reverse_output, method=method,
            n_steps=settings.get("n_steps", 32), device=model.device)
        x_motifs = x
    else:
        x_motifs = x[ism_rows]
    patterns = discover_motifs(x_motifs, hypothetical) if settings.get("modisco", True) else []
    for pattern in patterns:
        datasets[f"patterns/{pattern.name}/ppm"] = pattern.ppm
        datasets[f"patterns/{pattern.name}/cwm"] = pattern.cwm
    motifs = motif_table(patterns, references)
    scores = datasets.get("attribution", datasets["ism_contribution"])
    top = np.argsort(-predictions[ism_rows if "attribution" not in datasets else slice(None)])[:settings.get("n_logos", 3)]
    labels = np.asarray(ids)[ism_rows] if "attribution" not in datasets else np.asarray(ids)
    values = predictions[ism_rows] if "attribution" not in datasets else predictions
    score_name = method if model.is_torch else "ISM contribution"
    first, last = span or (0, codes.shape[1])  # logos of the mutated span only (a glyph per base is slow)
    matrices = [scores[i].T[first:last] for i in top] + [p.cwm for p in patterns]
    titles = [f"{labels[i]} (prediction {values[i]:.3g}): {score_name}" for i in top]
    titles += [f"modisco-lite {p.name}: {p.n_seqlets} seqlets, consensus {p.consensus}" for p in patterns]
    draw_logos(sibling(out_path, ".png"), matrices, titles)
    write_tsv(motifs, sibling(out_path, ".motifs.tsv"))
    n_positions = n_ism * (span[1] - span[0] if span else codes.shape[1])
    summary = {"n_sequences": len(codes), "n_ism_sequences": int(n_ism), "ism_seconds": ism_seconds, "ism_span": list(span or (0, codes.shape[1])),
               "ism_positions_per_second": n_positions / ism_seconds, "n_patterns": len(patterns),
               "attribution_method": method if model.is_torch else None}
    write_h5(out_path, datasets, attrs={k: v for k, v in summary.items() if v is not None})
    log.info("explained %d sequences with %s: %s", len(codes), model.name, summary)
    return summary
