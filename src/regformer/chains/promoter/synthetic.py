"""A synthetic random-promoter library with a planted cis-regulatory grammar (the demo dataset).

Each promoter is a fixed 5' flank, a random core and a fixed 3' flank, as in the DREAM 2022 library.
Two activator motifs and one repressor are planted at random positions and orientations. Expression is
a sum of motif effects (activators weaken with distance from the 3' end and act at half strength in
reverse orientation), a pairwise synergy when both activators are present, and a repressor that
cancels them; measurements add noise and are quantized to 18 bins (0..17) like the sort-seq assay.
The noise-free expression is saved so the report can show the best achievable score.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from regformer.data.encoding import ALPHABET, decode, encode_fixed_length, reverse_complement_codes
from regformer.io.atomic import atomic_path

FLANK_5 = "TGCATTTTTTTCACATC"
FLANK_3 = "GGTTACGGCTGTT"
MOTIFS = {  # name: (sequence, effect)
    "activator_a": ("ACCGGAAGT", 2.0),
    "activator_b": ("GCGATGAGC", 1.5),
    "repressor": ("TTAGCCTAA", -2.5),
}
SYNERGY = 1.5


def _codes(seq: str) -> np.ndarray:
    return np.array([ALPHABET.index(b) for b in seq], dtype=np.uint8)


def _occurrences(codes: np.ndarray, motif: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(n, positions) boolean matches of the motif on the forward and on the reverse strand."""
    windows = sliding_window_view(codes, len(motif), axis=1)
    forward = (windows == motif).all(axis=-1)
    reverse = (windows == reverse_complement_codes(motif[None])[0]).all(axis=-1)
    return forward, reverse


def noise_free_expression(codes: np.ndarray) -> np.ndarray:
    """The planted grammar on (n, L) codes, on the 0..17 bin scale."""
    n, length = codes.shape
    latent = np.zeros(n)
    present = {}
    for name, (motif, effect) in MOTIFS.items():
        forward, reverse = _occurrences(codes, _codes(motif))
        position_weight = 0.4 + 0.6 * np.arange(forward.shape[1]) / forward.shape[1]  # stronger near the 3' end
        if effect > 0:
            latent += effect * (forward * position_weight).sum(1) + 0.5 * effect * (reverse * position_weight).sum(1)
        else:
            latent += effect * (forward | reverse).sum(1)
        present[name] = (forward | reverse).any(1)
    latent += SYNERGY * (present["activator_a"] & present["activator_b"])
    latent -= 0.5 * SYNERGY * (present["repressor"] & (present["activator_a"] | present["activator_b"]))
    gc = np.isin(codes, (1, 2)).mean(1)
    latent += 2.0 * (gc - 0.5)
    return 17.0 / (1.0 + np.exp(-(latent - 1.0) / 1.5))


def simulate_promoter_library(out_library: str | Path, out_noise_free: str | Path, *, n_sequences: int = 6000,
                              core_length: int = 80, length_jitter: int = 6, motif_rate: float = 0.4,
                              noise_sd: float = 1.0, seed: int = 0) -> None:
    """Write a DREAM-format library (sequence<TAB>expression) and the matching noise-free values, one per line."""
    rng = np.random.default_rng(seed)
    core = rng.integers(0, 4, size=(n_sequences, core_length), dtype=np.uint8)
    for motif, _ in MOTIFS.values():
        codes = _codes(motif)
        planted = rng.random(n_sequences) < motif_rate
        starts = rng.integers(0, core_length - len(codes) + 1, size=n_sequences)
        flip = rng.random(n_sequences) < 0.5
        for i in np.flatnonzero(planted):
            core[i, starts[i]:starts[i] + len(codes)] = reverse_complement_codes(codes[None])[0] if flip[i] else codes
    sequences = [FLANK_5 + c + FLANK_3 for c in decode(core)]
    # vary the length around 110 bp like the real library, so trimming and N-padding are exercised
    jitter = rng.integers(-length_jitter, length_jitter + 1, size=n_sequences)
    sequences = [s[-(len(s) + j):] if j < 0 else "".join(rng.choice(list("ACGT"), j)) + s for s, j in zip(sequences, jitter)]
    clean = noise_free_expression(encode_fixed_length(sequences, len(FLANK_5) + core_length + len(FLANK_3)))
    measured = np.clip(np.rint(clean + rng.normal(0.0, noise_sd, n_sequences)), 0, 17)
    _write_lines(out_library, (f"{s}\t{m:.0f}" for s, m in zip(sequences, measured)))
    _write_lines(out_noise_free, (f"{v:.6f}" for v in clean))


def _write_lines(path: str | Path, lines) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text("\n".join(lines) + "\n")
