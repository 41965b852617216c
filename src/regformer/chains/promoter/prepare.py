"""Random-promoter dataset builder: stream, validate, fix length, de-duplicate, split, store as uint8.

The store is one HDF5 file per dataset (chunked, read lazily by DataLoader workers):
  codes (n, L) uint8   expression (n,) float32   line (n,) int64   [noise_free (n,) float32]
  split (n,) uint8 (0 train, 1 val, 2 test, 3 duplicate)   index/{train,val,test} sorted row ids
and the JSON summary in attrs["summary"] (the store contract of every chain, regformer.data.splits).
Duplicates are exact duplicates of the model input (the `length` bp after trimming/padding, 110 by default); the first
occurrence is kept, so no sequence can appear in two splits, and its expression becomes the mean of all copies
(`duplicates: mean`, as the DREAM baselines do), stays its own (`first`), or the build fails (`error`). The
summary counts the merged sequences, how far their values disagreed, and the sequences trimmed or padded.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import h5py
import numpy as np

from regformer.chains.promoter.files import iter_promoter_chunks
from regformer.chains.promoter.specs import PROMOTER_LENGTH
from regformer.data.encoding import INVALID, encode_fixed_length
from regformer.data.splits import SPLITS
from regformer.errors import InputError
from regformer.evaluate.metrics import regression_metrics
from regformer.io.atomic import atomic_path
from regformer.io.stores import check_writes, new_hdf5
from regformer.logs import progress

log = logging.getLogger(__name__)
DUPLICATE = 3
DUPLICATE_POLICIES = ("mean", "first", "error")
_HASH_MULTIPLIERS = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))


def _row_hashes(codes: np.ndarray) -> np.ndarray:
    """Two independent 64-bit polynomial hashes per row (128 bits): a collision is practically impossible."""
    out = np.empty((codes.shape[0], 2), dtype=np.uint64)
    values = codes.astype(np.uint64) + np.uint64(1)
    with np.errstate(over="ignore"):
        for k, mult in enumerate(_HASH_MULTIPLIERS):
            powers = np.cumprod(np.full(codes.shape[1], mult, dtype=np.uint64))
            out[:, k] = values @ powers
    return out


def assign_splits(hashes: np.ndarray, fractions: dict[str, float], seed: int) -> np.ndarray:
    """Label each row train/val/test by unique sequence (random, seeded); later copies become DUPLICATE."""
    total = sum(fractions[s] for s in SPLITS)
    if not np.isclose(total, 1.0):
        raise InputError("config.yaml", f"split fractions {fractions} sum to {total}, not 1", "make train + val + test = 1")
    keys = hashes.view([("a", np.uint64), ("b", np.uint64)]).ravel()
    _, first = np.unique(keys, return_index=True)
    first.sort()
    order = np.random.default_rng(seed).permutation(len(first))
    n_train = int(round(fractions["train"] * len(first)))
    n_val = int(round(fractions["val"] * len(first)))
    unique_split = np.full(len(first), 2, dtype=np.uint8)
    unique_split[order[:n_train]] = 0
    unique_split[order[n_train:n_train + n_val]] = 1
    split = np.full(len(hashes), DUPLICATE, dtype=np.uint8)
    split[first] = unique_split
    return split


MIN_SPLIT_SEQUENCES = 2  # a correlation needs two points; a model needs two sequences to learn from


def check_split_sizes(split: np.ndarray, fractions: dict[str, float], raw_path) -> None:
    """Fail when a split with a fraction above 0 holds fewer than MIN_SPLIT_SEQUENCES unique sequences."""
    counts = {name: int((split == k).sum()) for k, name in enumerate(SPLITS)}
    small = [name for name in SPLITS if fractions[name] > 0 and counts[name] < MIN_SPLIT_SEQUENCES]
    if small:
        n_unique = sum(counts.values())
        need = max(MIN_SPLIT_SEQUENCES / fractions[name] for name in small)
        raise InputError(raw_path, f"{n_unique} unique sequence(s) split {counts} (fractions {fractions}) leave "
                         f"split(s) {', '.join(small)} with fewer than {MIN_SPLIT_SEQUENCES} sequences, too few to "
                         "train or score a model", f"give a library of at least {int(np.ceil(need))} unique sequences "
                         "(or raise the fraction of the small split)")


def prepare_promoter_dataset(raw_path: str | Path, store_path: str | Path, summary_path: str | Path, *,
                             fmt: str = "dream", sequence_column: str | None = None, expression_column: str | None = None,
                             length: int = PROMOTER_LENGTH, fractions: dict[str, float] | None = None, seed: int = 0,
                             noise_free_path: str | Path | None = None, chunk_size: int = 200_000,
                             duplicates: str = "mean") -> dict:
    """Build the HDF5 store of one promoter dataset and a JSON summary; both appear only when complete."""
    fractions = fractions or {"train": 0.8, "val": 0.1, "test": 0.1}
    if duplicates not in DUPLICATE_POLICIES:
        raise InputError("duplicates", f"unknown policy {duplicates!r}", f"use one of {', '.join(DUPLICATE_POLICIES)}")
    store_path, summary_path = Path(store_path), Path(summary_path)
    with atomic_path(store_path) as tmp:
        with new_hdf5(tmp) as h5:
            n, hashes, lengths = _write_records(h5, raw_path, fmt, sequence_column, expression_column, length,
                                                chunk_size)
            split = assign_splits(hashes, fractions, seed)
            check_split_sizes(split, fractions, raw_path)
            merged = merge_duplicates(h5, hashes, duplicates, raw_path)
            h5.create_dataset("split", data=split)
            for k, name in enumerate(SPLITS):
                h5.create_dataset(f"index/{name}", data=np.flatnonzero(split == k).astype(np.int64))
            if noise_free_path is not None:
                h5.create_dataset("noise_free", data=_read_noise_free(noise_free_path, n))
            summary = {
                "source": str(raw_path), "format": fmt, "length": length, "n_records": n,
                "n_duplicates": int((split == DUPLICATE).sum()), **merged, **lengths, "seed": seed,
                "fractions": fractions,
                **{f"n_{name}": int((split == k).sum()) for k, name in enumerate(SPLITS)},
            }
            summary["noise_ceiling"] = _noise_ceiling(h5) if noise_free_path is not None else None
            h5.attrs["summary"] = json.dumps(summary)
    with atomic_path(summary_path) as tmp:
        tmp.write_text(json.dumps(summary, indent=2))
    log.info("prepared %s: %s", store_path, summary)
    return summary


def _write_records(h5: h5py.File, raw_path, fmt, sequence_column, expression_column, length, chunk_size):
    chunk_rows = max(1, min(4096, chunk_size))
    codes = h5.create_dataset("codes", shape=(0, length), maxshape=(None, length), dtype=np.uint8, chunks=(chunk_rows, length))
    expression = h5.create_dataset("expression", shape=(0,), maxshape=(None,), dtype=np.float32, chunks=(chunk_rows * 4,))
    line = h5.create_dataset("line", shape=(0,), maxshape=(None,), dtype=np.int64, chunks=(chunk_rows * 4,))
    hashes, n, n_trimmed, n_padded = [], 0, 0, 0
    for chunk in iter_promoter_chunks(raw_path, fmt, sequence_column, expression_column, chunk_size):
        sizes = np.fromiter(map(len, chunk.sequences), dtype=np.int64, count=len(chunk.sequences))
        n_trimmed, n_padded = n_trimmed + int((sizes > length).sum()), n_padded + int((sizes < length).sum())
        block = encode_fixed_length(chunk.sequences, length)
        if (block == INVALID).any():  # only non-latin characters reach here; the parser checked the rest
            i = int(np.flatnonzero((block == INVALID).any(axis=1))[0])
            raise InputError(raw_path, f"line {chunk.first_line + i}: unreadable characters", "use plain ACGTN text")
        m = len(block)
        for dset in (codes, expression, line):
            dset.resize(n + m, axis=0)
        codes[n:n + m] = block
        expression[n:n + m] = chunk.expression
        line[n:n + m] = np.arange(chunk.first_line, chunk.first_line + m)
        hashes.append(_row_hashes(block))
        check_writes(h5)
        n += m
        progress().info("%s: %s records read", Path(raw_path).name, f"{n:,}")
    return n, np.concatenate(hashes), {"n_trimmed": n_trimmed, "n_padded": n_padded}


def merge_duplicates(h5: h5py.File, hashes: np.ndarray, policy: str, raw_path) -> dict:
    """Apply the duplicate policy to h5["expression"] (the kept first copy gets the mean under `mean`); return
    how many sequences had copies, how many records were folded in, and how far the copies' values disagreed."""
    keys = hashes.view([("a", np.uint64), ("b", np.uint64)]).ravel()
    _, first, inverse, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    repeated = counts > 1
    stats = {"duplicates": policy, "n_merged_sequences": int(repeated.sum()),
             "n_merged_records": int(counts[repeated].sum()), "duplicate_value_range": None}
    if not repeated.any():
        return stats
    values = h5["expression"][:].astype(np.float64)
    low = np.full(len(counts), np.inf)
    high = np.full(len(counts), -np.inf)
    np.minimum.at(low, inverse, values)
    np.maximum.at(high, inverse, values)
    spread = (high - low)[repeated]
    stats["duplicate_value_range"] = {"median": float(np.median(spread)), "mean": float(spread.mean()),
                                      "max": float(spread.max()), "n_disagreeing": int((spread > 0).sum())}
    if policy == "error":
        groups = np.flatnonzero(repeated)
        group = int(groups[np.argmin(first[groups])])  # the repeat met first in the file
        lines = h5["line"][:][inverse == group][:5].tolist()
        raise InputError(raw_path, f"{int(repeated.sum()):,} sequences appear more than once (e.g. lines "
                         f"{', '.join(map(str, lines))} after trimming to the model's length)",
                         "set duplicates: mean (average their values) or first (keep the first) for this dataset, "
                         "or remove the repeats")
    if policy == "mean":
        means = np.bincount(inverse, weights=values) / counts
        kept = first[repeated]
        expression = values.astype(np.float32)
        expression[kept] = means[repeated].astype(np.float32)
        h5["expression"][:] = expression
    log.info("duplicates (%s): %s", policy, stats)
    return stats


def _read_noise_free(path, n: int) -> np.ndarray:
    values = np.loadtxt(path, dtype=np.float32, ndmin=1)
    if len(values) != n:
        raise InputError(path, f"has {len(values)} values but the library has {n} records",
                         "regenerate the synthetic library (both files come from the same rule)")
    return values


def _noise_ceiling(h5: h5py.File) -> dict:
    """Best achievable test metrics: the noise-free expression used as the prediction."""
    test = h5["index/test"][:]
    return regression_metrics(h5["expression"][:][test], h5["noise_free"][:][test])
