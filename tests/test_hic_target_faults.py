"""Fault test of the Hi-C targets step: kill -9 mid-write, rerun, get the store an uninterrupted run writes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

COOL = Path(__file__).parent / "data" / "hic" / "yeast_W303_G1_2kb_SRR8769554.cool"
SIZES = {"chr2": 814_000, "chr4": 1_526_000, "chr5": 572_000, "chr7": 1_086_000, "chr8": 564_000, "chr10": 746_000,
         "chr11": 668_000, "chr12": 1_072_000, "chr13": 926_000, "chr14": 786_000, "chr15": 1_092_000,
         "chr16": 950_000}
# what the genome_targets rule does for Hi-C (its log, two workers as its `threads: 2`), on a real yeast cooler
BUILD = """import sys
from regformer.chains.hic.targets import build_targets_from_regions
from regformer.logs import log_to
with log_to(sys.argv[4]):
    build_targets_from_regions(sys.argv[1], {"G1": sys.argv[2]}, sys.argv[3], bin_size=2000, crop=16, workers=2)
"""


def _regions(path: Path) -> Path:
    """512 kb windows, two on the long chromosomes, as the genome_regions rule writes them for Hi-C: a block of
    windows per chromosome, so the step writes in many small steps (a kill after any of its first progress lines
    is mid-write)."""
    rows = [(chrom, start, start + 512_000, "train", chrom) for chrom, size in SIZES.items()
            for start in (0, 512_000) if start + 512_000 <= size]
    table = pd.DataFrame(rows, columns=["chrom", "start", "end", "split", "cooler_chrom"]).assign(filtered_G1=0)
    table.to_csv(path, sep="\t", index=False)
    return path


def _state(pid: int) -> str | None:
    """A process's state letter from /proc (R, S, Z, ...), None when it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (its pool workers), from /proc."""
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return kids


def _store(path: Path) -> dict[str, np.ndarray]:
    with h5py.File(path, "r") as h5:
        values = {name: h5[name][()] for name in ("targets", "regions/chrom", "regions/start", "index/train")}
        values["summary"] = np.array(h5.attrs["summary"])
    return values


@pytest.mark.slow
def test_kill_9_of_hic_targets_mid_write_then_rerun_gives_the_same_store(tmp_path):
    """SIGKILL of the step's process alone (its pool workers must not live on) after a seeded random number of its
    console progress lines: nothing appears at targets.h5, and the same call run again writes what an
    uninterrupted run writes."""
    from regformer.chains.hic.targets import build_targets_from_regions

    regions = _regions(tmp_path / "regions.tsv")
    build = {"cooler_uris": {"G1": str(COOL)}, "bin_size": 2000, "crop": 16, "workers": 2}
    clean = tmp_path / "clean" / "targets.h5"
    build_targets_from_regions(regions, out_path=clean, **build)
    expected = _store(clean)
    n_windows = len(expected["targets"])
    assert n_windows == 16 and np.isfinite(expected["targets"]).all()

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "OMP_NUM_THREADS": "1"}
    for i, after_lines in enumerate(np.random.default_rng(13).integers(1, 6, size=2)):
        out = tmp_path / f"killed{i}" / "targets.h5"
        proc = subprocess.Popen([sys.executable, "-c", BUILD, str(regions), str(COOL), str(out),
                                 str(out.with_name("targets.log"))], env=env, stderr=subprocess.PIPE, text=True)
        seen = []
        while len(seen) < after_lines:
            line = proc.stderr.readline()
            assert line, f"the step ended (exit {proc.wait()}) after {seen} without enough progress lines"
            if " windows (" in line:
                seen.append(line.strip())
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stderr.close()
        done = int(seen[-1].split("/")[0].split()[-1])
        assert seen[0].startswith("[targets] ") and f"/{n_windows} windows (" in seen[0] and done < n_windows
        assert workers, "the kill came before the pool workers started"
        assert not out.exists(), f"the kill after {seen[-1]!r} left a targets.h5 behind"
        deadline = time.monotonic() + 30
        while any(_state(w) not in (None, "Z") for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        alive = [w for w in workers if _state(w) not in (None, "Z")]
        assert not alive, f"pool workers {alive} outlived their killed parent"
        build_targets_from_regions(regions, out_path=out, **build)  # the rerun, over the leftover temporary file
        rerun = _store(out)
        for name, values in expected.items():
            assert np.array_equal(rerun[name], values, equal_nan=values.dtype.kind == "f"), name
        assert not out.with_name(out.name + ".tmp").exists()
