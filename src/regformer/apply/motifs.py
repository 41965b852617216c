"""Sequence logos (logomaker) of contribution scores, and motif discovery on them (modisco-lite).

modisco-lite reads, per sequence, the one-hot input and the hypothetical contributions (what each of the four
bases would contribute at each position); it finds seqlets of high contribution and clusters them into patterns,
each with a contribution-weighted matrix (CWM) and a position probability matrix (PPM) of its seqlets.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regformer.io.atomic import atomic_path

log = logging.getLogger(__name__)
BASES = "ACGT"


@dataclass
class Pattern:
    """One modisco-lite pattern: its sign (pos: raises the prediction), seqlet count, PPM and CWM (width, 4)."""

    name: str
    n_seqlets: int
    ppm: np.ndarray
    cwm: np.ndarray

    @property
    def consensus(self) -> str:
        """The most probable base where the PPM is informative (max probability >= 0.5), else n."""
        return "".join(BASES[int(row.argmax())] if row.max() >= 0.5 else "n" for row in self.ppm)


def discover_motifs(one_hot: np.ndarray, hypothetical: np.ndarray, *, window: int = 11, flank: int = 5,
                    min_cluster_size: int = 10, max_seqlets: int = 2000, n_leiden_runs: int = 4) -> list[Pattern]:
    """modisco-lite patterns of (n, 4, L) one-hot inputs and hypothetical contributions; an empty list when it
    finds none (too few seqlets pass its significance threshold)."""
    from modiscolite.tfmodisco import TFMoDISco

    x = np.ascontiguousarray(one_hot.transpose(0, 2, 1)).astype(np.float32)
    hyp = np.ascontiguousarray(hypothetical.transpose(0, 2, 1)).astype(np.float32)
    positive, negative = TFMoDISco(one_hot=x, hypothetical_contribs=hyp, sliding_window_size=window,
                                   flank_size=flank, min_metacluster_size=min_cluster_size,
                                   max_seqlets_per_metacluster=max_seqlets, trim_to_window_size=window + 4,
                                   initial_flank_to_add=flank, final_min_cluster_size=min_cluster_size,
                                   n_leiden_runs=n_leiden_runs, verbose=False)
    patterns = []
    for sign, found in (("pos", positive), ("neg", negative)):
        for k, pattern in enumerate(found or []):
            patterns.append(Pattern(f"{sign}_{k}", len(pattern.seqlets), np.asarray(pattern.sequence),
                                    np.asarray(pattern.contrib_scores)))
    log.info("modisco-lite: %d patterns (%s)", len(patterns), ", ".join(p.consensus for p in patterns))
    return patterns


def ppm_similarity(ppm: np.ndarray, motif: str) -> float:
    """How well a PPM matches a motif string: the best, over offsets (the motif fully inside the PPM) and both
    strands, of the mean probability the PPM gives the motif's bases (1 = every base certain)."""
    motif_codes = np.array([BASES.index(b) for b in motif])
    best = 0.0
    for matrix in (ppm, ppm[::-1, ::-1]):  # the reverse complement: positions and ACGT both reversed
        for offset in range(0, len(matrix) - len(motif) + 1):
            best = max(best, float(matrix[offset + np.arange(len(motif)), motif_codes].mean()))
    return best


def draw_logos(out_png: str | Path, matrices: list[np.ndarray], titles: list[str]) -> None:
    """One logomaker logo per (length, 4) matrix, stacked in one PNG (atomically)."""
    import logomaker
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    fig, axes = plt.subplots(len(matrices), 1, figsize=(12, 1.6 * len(matrices)), squeeze=False)
    for ax, matrix, title in zip(axes[:, 0], matrices, titles):
        logomaker.Logo(pd.DataFrame(np.asarray(matrix, dtype=float), columns=list(BASES)), ax=ax)
        ax.set_title(title, fontsize=9, loc="left")
        ax.set_xticks([])
    fig.tight_layout()
    with atomic_path(out_png) as tmp:
        fig.savefig(tmp, format="png", dpi=80)
    plt.close(fig)
