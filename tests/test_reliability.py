"""Issue 27, the cases outside the tracks chain: names that could leave results/, an unknown model setting in a
--configfile file, a one-record promoter library, a full disk (a write limit) while writing a store."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import DREAM, REPO

from regformer.chains.promoter.prepare import prepare_promoter_dataset
from regformer.config_check import ConfigError, check_path_names
from regformer.errors import InputError
from regformer.io.atomic import atomic_path, is_disk_full
from regformer.names import check_name, check_names
from regformer.workflow_helpers.common import WorkflowHelpers

SNAKEMAKE = str(Path(sys.executable).with_name("snakemake"))


@pytest.fixture
def demo_config():
    return yaml.safe_load((REPO / "config.yaml").read_text())


@pytest.mark.parametrize("name", ["..", ".", "../../ESCAPED", "a/b", "a\\b", ".hidden", "-rf", "", "x" * 101,
                                  "white space", None, 3])
def test_unsafe_names_are_refused_with_the_rule_and_a_safe_suggestion(name):
    with pytest.raises(InputError, match="cannot be used as a name") as info:
        check_name(name, "dataset", "config file mine.yaml: tracks")
    assert "mine.yaml" in str(info.value) and "rename the dataset" in str(info.value)


def test_safe_names_pass_and_case_twins_collide():
    assert check_names(["demo", "K562_DNase.v2", "nan", "_x", "2"], "track identifier", "t.tsv")[2] == "nan"
    with pytest.raises(InputError, match="'Demo' and 'demo' are the same ignoring case"):
        check_names(["Demo", "demo"], "dataset", "mine.yaml")


@pytest.mark.parametrize("mutate, words", [
    (lambda c: c["promoter"]["datasets"].update({"..": c["promoter"]["datasets"]["demo"]}), ["promoter", "'..'"]),
    (lambda c: c["tracks"]["datasets"].update({"Demo": c["tracks"]["datasets"]["demo"]}), ["'demo' and 'Demo'"]),
    (lambda c: c["hic"]["datasets"]["demo"]["synthetic"].update(maps=["cellA", "../cellB"]),
     ["contact map", "'../cellB'"]),
    (lambda c: c["hic"]["datasets"]["demo"]["synthetic"].update(maps=["cellA", "CELLA"]),
     ["contact map", "ignoring case"]),
])
def test_config_names_are_checked_once_for_every_chain(demo_config, mutate, words):
    check_path_names(demo_config, ["mine.yaml"])  # the demo passes
    bad = copy.deepcopy(demo_config)
    mutate(bad)
    with pytest.raises(ConfigError) as info:
        check_path_names(bad, ["mine.yaml"])
    assert all(w in str(info.value) for w in ["config file mine.yaml", *words]), str(info.value)


def test_a_dataset_named_dotdot_stops_snakemake_before_any_job(demo_config, tmp_path):
    demo_config["promoter"]["datasets"] = {"..": demo_config["promoter"]["datasets"]["demo"]}
    (tmp_path / "mine.yaml").write_text(yaml.safe_dump(demo_config))
    result = subprocess.run([SNAKEMAKE, "--snakefile", str(REPO / "Snakefile"), "--directory", str(tmp_path), "-n",
                             "--configfile", str(tmp_path / "mine.yaml")], capture_output=True, text=True, timeout=300)
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "mine.yaml" in out and "'..' cannot be used as a name" in out, out[-2000:]
    assert "Nothing to be done" not in out and not (tmp_path / "results").exists()


def test_unknown_model_setting_names_the_users_config_file(demo_config):
    demo_config["promoter"]["models"]["legnet"] = {"n_layerz": 3}
    wf = WorkflowHelpers(demo_config, ["promoter"])
    wf.config_files = ["/home/me/mine.yaml"]
    from snakemake.exceptions import WorkflowError

    with pytest.raises(WorkflowError) as info:
        wf.check_models("promoter")
    message = str(info.value)
    assert message.startswith("config file /home/me/mine.yaml: key promoter.models.legnet: model legnet: unknown "
                              "setting 'n_layerz'") and "config.yaml" not in message, message
    wf.config_files = None  # the embedded demo
    with pytest.raises(WorkflowError, match="config file config.yaml: key promoter.models.legnet"):
        wf.check_models("promoter")


@pytest.mark.parametrize("records", [1, 5])
def test_a_tiny_promoter_library_fails_at_prepare_with_the_size_needed(tmp_path, records):
    lib = tmp_path / "lib.txt"
    lib.write_text("".join(DREAM.read_text().splitlines(keepends=True)[:records]))
    with pytest.raises(InputError) as info:
        prepare_promoter_dataset(lib, tmp_path / "s.h5", tmp_path / "s.json")
    message = str(info.value)
    assert message.startswith(str(lib)) and "fewer than 2 sequences" in message and "at least 20 unique" in message
    assert not list(tmp_path.glob("s.*"))
    lib.write_text("".join(DREAM.read_text().splitlines(keepends=True)[:20]))
    summary = prepare_promoter_dataset(lib, tmp_path / "s.h5", tmp_path / "s.json")
    assert min(summary["n_train"], summary["n_val"], summary["n_test"]) >= 2


_WRITE_A_STORE = """
import resource, sys
from regformer.chains.promoter.prepare import prepare_promoter_dataset
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))  # as `ulimit -f 97`: a 100 kB file-size limit
prepare_promoter_dataset(sys.argv[1], sys.argv[2] + "/s.h5", sys.argv[2] + "/s.json")
"""


def test_a_write_limit_while_writing_a_store_gives_a_message_and_leaves_no_tmp(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    result = subprocess.run([sys.executable, "-c", _WRITE_A_STORE, str(DREAM), str(tmp_path)], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])  # not killed by SIGXFSZ / SIGSEGV
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"regformer.errors.InputError: {tmp_path}/s.h5: the disk is full, or a file-size limit")
    assert "(File too large)" in line and "df -h" in line, line
    assert list(tmp_path.iterdir()) == []  # no .tmp, no store, no summary


def test_disk_full_errors_are_recognised_and_other_errors_pass_through(tmp_path):
    assert is_disk_full(OSError(28, "No space left on device"))
    assert is_disk_full(RuntimeError("wrap").with_traceback(None)) is False
    with pytest.raises(InputError, match="the disk is full"):
        with atomic_path(tmp_path / "x.bin") as tmp:
            tmp.write_bytes(b"partial")
            raise OSError(28, "No space left on device")
    with pytest.raises(ValueError, match="other"):
        with atomic_path(tmp_path / "x.bin") as tmp:
            tmp.write_bytes(b"partial")
            raise ValueError("other")
    assert list(tmp_path.iterdir()) == []
