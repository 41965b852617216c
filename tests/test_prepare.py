"""Building the promoter store: de-duplication, leak-free splits, uint8 storage, atomic outputs."""

import json

import h5py
import numpy as np
import pytest
from conftest import DREAM

from regformer.data.encoding import decode
from regformer.chains.promoter.prepare import prepare_promoter_dataset
from regformer.errors import InputError


def test_duplicates_dropped_and_no_sequence_in_two_splits(tmp_path):
    # every 3rd sequence appears again (once in lower case, which is the same sequence)
    lib, unique = _library_with_repeats(tmp_path, repeat=str.lower)
    summary = prepare_promoter_dataset(lib, tmp_path / "s.h5", tmp_path / "s.json", chunk_size=64)
    assert summary["n_records"] == 400 and summary["n_duplicates"] == 100
    assert summary["n_train"] + summary["n_val"] + summary["n_test"] == 300
    with h5py.File(tmp_path / "s.h5") as h5:
        assert h5["codes"].dtype == np.uint8 and h5["codes"].shape == (400, 110)
        splits = {name: set(decode(h5["codes"][h5[f"index/{name}"][:]])) for name in ("train", "val", "test")}
        assert sum(len(v) for v in splits.values()) == 300
        assert not (splits["train"] & splits["val"] or splits["train"] & splits["test"] or splits["val"] & splits["test"])
        assert h5["line"][h5["index/train"][0]] >= 1


def test_split_fractions_and_seed(tmp_path):
    a = prepare_promoter_dataset(DREAM, tmp_path / "a.h5", tmp_path / "a.json", seed=1)
    b = prepare_promoter_dataset(DREAM, tmp_path / "b.h5", tmp_path / "b.json", seed=1,
                                 fractions={"train": 0.5, "val": 0.25, "test": 0.25}, chunk_size=999)
    n_unique = a["n_train"] + a["n_val"] + a["n_test"]
    assert abs(a["n_train"] / n_unique - 0.8) < 0.001 and abs(b["n_test"] / n_unique - 0.25) < 0.001
    assert a["n_duplicates"] == b["n_duplicates"]  # chunking does not change de-duplication
    with h5py.File(tmp_path / "a.h5") as h5:
        assert json.loads(h5.attrs["summary"]) == a


def test_bad_fractions_and_failed_build_leave_no_output(tmp_path):
    with pytest.raises(InputError, match="sum to"):
        prepare_promoter_dataset(DREAM, tmp_path / "s.h5", tmp_path / "s.json", fractions={"train": 0.8, "val": 0.3, "test": 0.1})
    bad = tmp_path / "bad.txt"
    bad.write_text("ACGT\t1\n" * 10 + "ACXT\t1\n")
    with pytest.raises(InputError, match="line 11"):
        prepare_promoter_dataset(bad, tmp_path / "s.h5", tmp_path / "s.json", chunk_size=4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.txt"]


def test_noise_free_must_match_library(tmp_path):
    nf = tmp_path / "nf.txt"
    nf.write_text("1.0\n2.0\n")
    with pytest.raises(InputError, match="has 2 values but the library has 6370 records"):
        prepare_promoter_dataset(DREAM, tmp_path / "s.h5", tmp_path / "s.json", noise_free_path=nf)


def test_synthetic_store_has_a_noise_ceiling(synthetic_store):
    summary = json.loads((synthetic_store.parent / "summary.json").read_text())
    ceiling = summary["noise_ceiling"]
    assert 0.8 < ceiling["pearson"] < 1.0  # noisy, quantized measurements: a real but imperfect ceiling
    assert ceiling["n_test"] == summary["n_test"]


def _library_with_repeats(tmp_path, repeat=lambda s: "A" * 40 + s):
    """300 unique sequences; every 3rd appears again as repeat(s) with value 5 (by default 150 bp long, trimmed to
    the same 110)."""
    rng = np.random.default_rng(0)
    unique = ["".join(rng.choice(list("ACGT"), 110)) for _ in range(300)]
    lines = [f"{s}\t{i % 18}" for i, s in enumerate(unique)] + [f"{repeat(s)}\t5" for s in unique[::3]]
    lib = tmp_path / "lib.txt"
    lib.write_text("\n".join(lines))
    return lib, unique


@pytest.mark.parametrize("policy", ["mean", "first"])
def test_duplicates_are_merged_and_counted(tmp_path, policy):
    lib, unique = _library_with_repeats(tmp_path)
    summary = prepare_promoter_dataset(lib, tmp_path / "s.h5", tmp_path / "s.json", chunk_size=64, duplicates=policy)
    assert summary["duplicates"] == policy and summary["n_merged_sequences"] == 100
    assert summary["n_merged_records"] == 200 and summary["n_trimmed"] == 100 and summary["n_padded"] == 0
    spread = [abs(i % 18 - 5) for i in range(0, 300, 3)]
    assert summary["duplicate_value_range"]["max"] == max(spread)
    assert summary["duplicate_value_range"]["median"] == pytest.approx(float(np.median(spread)))
    with h5py.File(tmp_path / "s.h5") as h5:
        expected = (0 + 5) / 2 if policy == "mean" else 0.0  # line 1: the first sequence, value 0, repeated with 5
        assert h5["expression"][0] == pytest.approx(expected)
        assert h5["expression"][1] == pytest.approx(1.0)  # not repeated: its own value
    assert json.loads((tmp_path / "s.json").read_text())["n_merged_sequences"] == 100


def test_duplicates_error_names_lines_and_leaves_no_output(tmp_path):
    lib, _ = _library_with_repeats(tmp_path)
    with pytest.raises(InputError, match=r"100 sequences appear more than once \(e\.g\. lines 1, 301"):
        prepare_promoter_dataset(lib, tmp_path / "s.h5", tmp_path / "s.json", duplicates="error")
    assert not (tmp_path / "s.h5").exists() and not (tmp_path / "s.json").exists()


def test_report_intro_says_how_many_were_merged_trimmed_and_names_ridge_only_when_run(tmp_path):
    from regformer.chains.promoter.report import intro_text

    lib, _ = _library_with_repeats(tmp_path)
    summary = prepare_promoter_dataset(lib, tmp_path / "s.h5", tmp_path / "s.json")
    text = intro_text(summary, {"promoter_transformer": tmp_path})
    assert "(100 trimmed, 0 padded)" in text and "100 sequences appeared more than once (200 of 400 records)" in text
    assert "mean of its values" in text and "at most 10" in text and "kmer_ridge" not in text
    assert "kmer_ridge is the classical baseline" in intro_text(summary, {"kmer_ridge": tmp_path})


@pytest.mark.slow
def test_kill_9_at_any_point_of_prepare_then_rerun_gives_the_same_store(tmp_path):
    """Fault test of a deterministic step: prepare killed with SIGKILL at seeded random moments, then run again,
    writes the same store and summary as an uninterrupted run, and never leaves a half-written store in place."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from regformer.chains.promoter.synthetic import simulate_promoter_library

    simulate_promoter_library(tmp_path / "lib.txt", tmp_path / "nf.txt", n_sequences=60_000, seed=5)
    code = ("import sys\nfrom regformer.chains.promoter.prepare import prepare_promoter_dataset\n"
            "prepare_promoter_dataset(sys.argv[1], sys.argv[2], sys.argv[3], chunk_size=2000)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p), "OMP_NUM_THREADS": "1"}

    def run(out, kill_after=None):
        proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "lib.txt"), str(out / "s.h5"),
                                 str(out / "s.json")], env=env)
        if kill_after is None:
            assert proc.wait(timeout=600) == 0
            return
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if (out / "s.h5").exists():  # renamed into place only when complete
            with h5py.File(out / "s.h5") as h5:
                assert "index/test" in h5 and "summary" in h5.attrs
        return (out / "s.json").exists()

    (tmp_path / "clean").mkdir()
    started = time.perf_counter()
    run(tmp_path / "clean")
    seconds = time.perf_counter() - started
    finished_before_kill = []
    for i, fraction in enumerate(np.random.default_rng(0).uniform(0.2, 0.9, size=3)):
        out = tmp_path / f"killed{i}"
        out.mkdir()
        finished_before_kill.append(run(out, kill_after=fraction * seconds))
        run(out)  # the rerun
        assert (out / "s.json").read_text() == (tmp_path / "clean" / "s.json").read_text()
        with h5py.File(out / "s.h5") as a, h5py.File(tmp_path / "clean" / "s.h5") as b:
            for name in ("codes", "expression", "line", "split", "index/train", "index/val", "index/test"):
                assert np.array_equal(a[name][()], b[name][()]), name
    assert not all(finished_before_kill), "every kill came after the step had finished"
