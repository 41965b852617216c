"""bench/suite.py in CI size: demo models, one step on CPU; the JSON's fields and the FLOP counting."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import suite  # noqa: E402


def test_suite_runs_demo_models_on_cpu(tmp_path):
    out = tmp_path / "suite.json"
    suite.main(["--device", "cpu", "--sizes", "demo", "--steps", "1", "--warmup", "0", "--compile", "off",
                "--models", "legnet,swin1d", "--max-batch", "2", "--peak-tflops", "1.5", "--out", str(out)])
    result = json.loads(out.read_text())
    rows = result["rows"]
    assert [(r["model"], r["size"], r["compile"]) for r in rows] == [("legnet", "demo", False),
                                                                       ("swin1d", "demo", False)]
    for row in rows:
        assert "error" not in row, row
        assert row["flops_per_sample"] > 0 and row["samples_per_s"] > 0 and row["batch_size"] == 2
        assert row["achieved_tflops"] == pytest.approx(row["flops_per_sample"] * row["samples_per_s"] / 1e12, rel=1e-2)
        assert row["mfu"] == pytest.approx(row["achieved_tflops"] / 1.5, rel=1e-2, abs=1e-4)
        assert row["peak_rss_gb"] > 0 and row["flops_counted_on"] == "meta"
    assert result["peak_tflops"] == 1.5 and result["peak_source"] == "--peak-tflops"
    table = out.with_suffix(".md").read_text()
    assert "| promoter | legnet | demo | False | 2 |" in table and "| tracks | swin1d | demo |" in table


def test_cpu_without_peak_reports_mfu_null(tmp_path):
    out = tmp_path / "suite.json"
    suite.main(["--device", "cpu", "--sizes", "demo", "--steps", "1", "--warmup", "0", "--compile", "off",
                "--models", "maxpool_cnn", "--max-batch", "1", "--out", str(out)])
    row = json.loads(out.read_text())["rows"][0]
    assert row["mfu"] is None and row["samples_per_s"] > 0 and row["batch_size"] == 1


def test_gpu_peak_table():
    assert suite.peak_for_name("NVIDIA H100 80GB HBM3") == 989.0
    assert suite.peak_for_name("NVIDIA H100 PCIe") == 756.0
    assert suite.peak_for_name("NVIDIA H200") == 989.0
    assert suite.peak_for_name("NVIDIA A100-SXM4-80GB") == 312.0
    assert suite.peak_for_name("Tesla T4") is None


def test_cpu_flash_attention_is_counted():
    """torch's counter skips the CPU flash-attention kernel; the suite's mapping counts it as the CUDA ones."""
    length, dim = 64, 16
    q = torch.randn(1, 2, length, dim, requires_grad=True)
    counter = FlopCounterMode(display=False, custom_mapping=suite.CPU_ATTENTION_FLOPS)
    with counter:
        F.scaled_dot_product_attention(q, q, q).sum().backward()
    bmm = 2 * 2 * length * length * dim  # one (L x d) @ (d x L) product over 2 heads
    assert counter.get_total_flops() == 2 * bmm + 5 * bmm  # forward 2 products, backward 5 (scores recomputed)


def test_hidden_lstm_flops_are_counted_on_meta():
    """Counting on the meta device sees the promoter transformer's LSTM and attention matmuls."""
    from regformer.chains.registry import chain_models

    spec = chain_models("promoter")["promoter_transformer"]
    flops, where = suite.count_flops(spec, spec.demo, 100, "cpu")
    counter = FlopCounterMode(display=False)
    model = spec.build(**spec.demo)
    x, batch, _ = suite.make_inputs(spec.demo, 2, "cpu", 100)
    with counter:
        suite.loss_of(model, model(x), batch).backward()
    assert where == "meta" and flops > counter.get_total_flops() / 2 > 0


def test_batch_search_doubles_until_out_of_memory():
    tried = []

    def fits(batch_size):
        tried.append(batch_size)
        return batch_size <= 48  # as if batch 64 ran out of GPU memory

    assert suite.search_batch(fits, 4096) == 32 and tried == [1, 2, 4, 8, 16, 32, 64]
    assert suite.search_batch(lambda b: True, 8) == 8
    assert suite.search_batch(lambda b: False, 8) == 0


def test_time_budget_skips_the_rest_and_keeps_the_json(tmp_path):
    out = tmp_path / "suite.json"
    suite.main(["--device", "cpu", "--sizes", "demo", "--compile", "off", "--models", "legnet,swin1d",
                "--time-budget", "1e-9", "--out", str(out)])
    rows = json.loads(out.read_text())["rows"]
    assert [r["model"] for r in rows] == ["legnet", "swin1d"] and all("time-budget" in r["error"] for r in rows)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_without_a_gpu_is_refused_clearly(capsys):
    with pytest.raises(SystemExit):
        suite.parse_args(["--device", "cuda"])
    assert "torch sees no CUDA device" in capsys.readouterr().err
