"""Generated raw Hi-C files in their real formats for the tests: a FASTA, a 4DN .pairs.gz, coolers from the CLI."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np

CHROMS = {"chrA": 400_000, "chrB": 300_000, "chrC": 300_000}


def write_fasta(path: Path, chroms: dict[str, int] = CHROMS, seed: int = 0) -> Path:
    """Random ACGT sequences, 80 bp a line (vectorised: a bench genome has 100 Mb)."""
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(b"ACGT", dtype=np.uint8)
    with open(path, "wb") as out:
        for name, length in chroms.items():
            seq = letters[rng.integers(0, 4, size=length)].tobytes()
            out.write(f">{name}\n".encode() + b"\n".join(seq[i:i + 80] for i in range(0, length, 80)) + b"\n")
    return path


def pairs_lines(n: int, chroms: dict[str, int] = CHROMS, seed: int = 1, names: dict[str, str] | None = None):
    """Yield 4DN header lines then `n` pairs with a power-law-ish distance decay (5 % trans), upper triangle."""
    names = names or {}
    yield "## pairs format v1.0\n"
    yield "#sorted: none\n#shape: upper triangle\n#genome_assembly: test\n"
    for c, length in chroms.items():
        yield f"#chromsize: {names.get(c, c)} {length}\n"
    yield "#columns: readID chr1 pos1 chr2 pos2 strand1 strand2 pair_type\n"
    rng = np.random.default_rng(seed)
    order = list(chroms)
    lengths = np.array([chroms[c] for c in order])
    block = 100_000
    for start in range(0, n, block):
        m = min(block, n - start)
        c1 = rng.choice(len(order), size=m, p=lengths / lengths.sum())
        p1 = (rng.random(m) * lengths[c1]).astype(np.int64) + 1
        dist = (rng.pareto(0.8, size=m) * 2_000).astype(np.int64)
        trans = rng.random(m) < 0.05
        c2 = np.where(trans, rng.integers(0, len(order), size=m), c1)
        p2 = np.where(trans, (rng.random(m) * lengths[c2]).astype(np.int64) + 1, np.minimum(p1 + dist, lengths[c1]))
        swap = (c2 < c1) | ((c2 == c1) & (p2 < p1))
        c1, c2 = np.where(swap, c2, c1), np.where(swap, c1, c2)
        p1, p2 = np.where(swap, p2, p1), np.where(swap, p1, p2)
        strands = rng.choice(["+", "-"], size=(m, 2))
        yield "".join(f"r{start + i}\t{names.get(order[a], order[a])}\t{x}\t{names.get(order[b], order[b])}\t{y}\t"
                      f"{s[0]}\t{s[1]}\tUU\n" for i, (a, x, b, y, s) in enumerate(zip(c1, p1, c2, p2, strands)))


def write_pairs(path: Path, n: int = 20_000, **kwargs) -> Path:
    with gzip.open(path, "wt", compresslevel=1) as out:
        out.writelines(pairs_lines(n, **kwargs))
    return path


def cooler_cli(*args: str) -> None:
    """The `cooler` command line, as a user would type it (this Python's environment)."""
    subprocess.run([sys.executable, "-m", "cooler", *args], check=True, capture_output=True)


def cli_cooler(pairs: Path, out: Path, bin_size: int, chroms: dict[str, int] = CHROMS, balance: bool = True) -> Path:
    """`cooler cload pairs` (+ `cooler balance`) on the command line: the reference the rules must equal."""
    sizes = out.with_suffix(".sizes")
    sizes.write_text("".join(f"{c}\t{n}\n" for c, n in chroms.items()))
    cooler_cli("cload", "pairs", "-c1", "2", "-p1", "3", "-c2", "4", "-p2", "5", f"{sizes}:{bin_size}", str(pairs),
               str(out))
    if balance:
        cooler_cli("balance", str(out))
    return out
