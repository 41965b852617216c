"""Bench: pairs/s and peak memory of rule hic_map on a generated 4DN .pairs.gz (>= 10 M pairs by default).

    nice -n 19 env OMP_NUM_THREADS=1 PYTHONPATH=src python bench/hic_pairs.py --pairs 10000000 --out /tmp/hic_pairs

Times regformer.chains.hic.maps.prepare_map (cooler cload pairs + cooler balance, one core) on a 3-chromosome
100 Mb genome at 2,048 bp: wall time and the cooler processes' CPU time (a shared machine's wall time overstates
the cost); peak memory is the largest resident set of the cooler processes (RUSAGE_CHILDREN).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from hic_raw import write_fasta, write_pairs  # noqa: E402  (generators of the real formats, shared with the tests)

from regformer.chains.hic.maps import prepare_map  # noqa: E402

CHROMS = {"chrA": 50_000_000, "chrB": 30_000_000, "chrC": 20_000_000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=10_000_000)
    parser.add_argument("--bin-size", type=int, default=2_048)
    parser.add_argument("--chunksize", type=int, help="records per cooler cload chunk (cooler's 15 M if unset)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    fasta, pairs = args.out / "genome.fa", args.out / "bench.pairs.gz"
    if not fasta.exists():
        write_fasta(fasta, CHROMS)
    if not pairs.exists():
        t0 = time.perf_counter()
        write_pairs(pairs, n=args.pairs, chroms=CHROMS)
        print(f"generated {args.pairs} pairs in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    out = args.out / "bench.cool"
    out.unlink(missing_ok=True)
    t0 = time.perf_counter()
    prepare_map(str(pairs), "pairs", out, fasta=str(fasta), bin_size=args.bin_size, threads=1, chunksize=args.chunksize)
    seconds = time.perf_counter() - t0
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb, cpu = children.ru_maxrss / 1024, children.ru_utime + children.ru_stime
    print(json.dumps({"pairs": args.pairs, "seconds": round(seconds, 1), "pairs_per_s": round(args.pairs / seconds),
                      "cooler_cpu_seconds": round(cpu, 1), "pairs_per_cpu_s": round(args.pairs / cpu),
                      "peak_rss_mb_cooler": round(peak_mb), "pairs_gz_mb": round(pairs.stat().st_size / 2**20),
                      "bin_size": args.bin_size, "chunksize": args.chunksize}))


if __name__ == "__main__":
    main()
