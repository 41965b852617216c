"""In-silico saturation mutagenesis (ISM): every position of every sequence to each of the three other bases.

The batched version builds the mutants of many positions at once and scores them in full batches (tangermeme's
and gReLU's approach); ism_loop scores one mutant per forward pass, the reference the benchmark compares with.
Both take `predict`: (m, L) codes -> (m, ...) predictions (regformer.apply.forward gives it for any model).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Predict = Callable[[np.ndarray], np.ndarray]


def _mutant_batches(codes: np.ndarray, batch_size: int, span: tuple[int, int] | None = None):
    """(sequence, positions, bases, mutant codes) blocks of at most `batch_size` single-base mutants: the three
    bases other than the reference at each position (A, C and G at an N)."""
    n, length = codes.shape
    first, last = span or (0, length)
    per_block = max(1, batch_size // 3)
    for i in range(n):
        seq = codes[i]
        for start in range(first, last, per_block):
            positions = np.arange(start, min(last, start + per_block))
            bases = np.array([[b for b in range(4) if b != seq[p]][:3] for p in positions])  # (P, 3)
            positions = np.repeat(positions, 3)
            bases = bases.ravel()
            mutants = np.repeat(seq[None], len(positions), axis=0)
            mutants[np.arange(len(positions)), positions] = bases
            yield i, positions, bases, mutants


def ism(predict: Predict, codes: np.ndarray, batch_size: int = 1024, span: tuple[int, int] | None = None) -> np.ndarray:
    """(n, L, 4, ...) alt - ref predictions, 0 at each reference base, in batches of up to `batch_size` mutants
    (mutants of several sequences share a batch); with `span` (start, end), only those positions are mutated
    (the others stay 0)."""
    codes = np.asarray(codes, dtype=np.uint8)
    reference = np.asarray(predict(codes))
    out = np.zeros((codes.shape[0], codes.shape[1], 4, *reference.shape[1:]), dtype=np.float32)
    pending, size = [], 0

    def flush():
        predictions = np.asarray(predict(np.concatenate([m for *_, m in pending])))
        offset = 0
        for i, positions, bases, mutants in pending:
            block = predictions[offset:offset + len(mutants)]
            out[i, positions, bases] = block - reference[i]
            offset += len(mutants)
        pending.clear()

    for item in _mutant_batches(codes, batch_size, span):
        pending.append(item)
        size += len(item[3])
        if size >= batch_size:
            flush()
            size = 0
    if pending:
        flush()
    return out


def ism_loop(predict: Predict, codes: np.ndarray, span: tuple[int, int] | None = None) -> np.ndarray:
    """The same effects as ism(), one mutant per forward pass (for bench/ism_speed.py only)."""
    codes = np.asarray(codes, dtype=np.uint8)
    reference = np.asarray(predict(codes))
    out = np.zeros((codes.shape[0], codes.shape[1], 4, *reference.shape[1:]), dtype=np.float32)
    for i, seq in enumerate(codes):
        for p in range(*(span or (0, codes.shape[1]))):
            for b in range(4):
                if b == seq[p]:
                    continue
                mutant = seq.copy()
                mutant[p] = b
                out[i, p, b] = np.asarray(predict(mutant[None]))[0] - reference[i]
    return out


def hypothetical_scores(effects: np.ndarray) -> np.ndarray:
    """(n, 4, L) hypothetical contributions from (n, L, 4) ISM effects: each position's effects centred on their
    mean over the four bases (the reference included), the form modisco-lite reads."""
    centred = effects - effects.mean(axis=2, keepdims=True)
    return np.ascontiguousarray(centred.transpose(0, 2, 1)).astype(np.float32)
