"""The suite's device peaks, inputs, losses and FLOP counting (bench/suite.py): FLOPs per sample of one
forward+backward by torch.utils.flop_counter.FlopCounterMode, on the meta device where the model allows it."""

from __future__ import annotations

import platform

import torch
from torch.utils.flop_counter import FlopCounterMode, sdpa_backward_flop_count, sdpa_flop_count

from regformer.data.encoding import one_hot
from regformer.models.outputs import prediction_of
from train_steps import _sentences

# Dense bf16 tensor-core peaks in TFLOP/s (vendor datasheets, without sparsity), matched against
# torch.cuda.get_device_name() in this order (first substring found wins).
PEAK_TFLOPS = [("H200", 989.0), ("GH200", 989.0), ("H100 NVL", 835.0), ("H100 PCIe", 756.0), ("H100", 989.0),
               ("A100", 312.0)]


def peak_for_name(name: str) -> float | None:
    """The table's dense bf16 peak (TFLOP/s) for a GPU name as CUDA reports it, or None when unknown."""
    return next((peak for key, peak in PEAK_TFLOPS if key in name), None)


def device_peak(device: str, override: float | None) -> tuple[str, float | None]:
    """(device name, peak TFLOP/s or None): the override, else the table for a known GPU; None for a CPU."""
    name = torch.cuda.get_device_name() if device == "cuda" else (platform.processor() or platform.machine() or "cpu")
    if override:
        return name, float(override)
    return name, peak_for_name(name) if device == "cuda" else None


def make_inputs(arch: dict, batch_size: int, device: str, sentence_length: int
                ) -> tuple[torch.Tensor, dict | None, int]:
    """(model input, batch dict for models with their own training loss or None, input length)."""
    if "chrom_tiles" in arch:  # a cell-sentence model: random sorted sentences and 3-state targets
        x, batch = _sentences(arch, batch_size, sentence_length, device)
        return x, batch, sentence_length
    length = arch.get("length") or arch["seq_length"]
    return one_hot(torch.randint(0, 4, (batch_size, length), device=device)), None, length


def loss_of(model, output, batch: dict | None) -> torch.Tensor:
    """The model's own training loss when it has targets here, else MSE of its prediction against zeros."""
    if batch is not None:
        return model.training_loss(output, batch)
    prediction = prediction_of(output).float()
    return torch.nn.functional.mse_loss(prediction, torch.zeros_like(prediction))


def _cpu_sdpa(query, key, value, *args, out_shape=None, **kwargs) -> int:
    return sdpa_flop_count(query, key, value)


def _cpu_sdpa_backward(grad_out, query, key, value, *args, out_shape=None, **kwargs) -> int:
    return sdpa_backward_flop_count(grad_out, query, key, value)


# torch's counter knows the CUDA attention kernels but not the CPU flash kernel: count it the same way
CPU_ATTENTION_FLOPS = {torch.ops.aten._scaled_dot_product_flash_attention_for_cpu: _cpu_sdpa,
                       torch.ops.aten._scaled_dot_product_flash_attention_for_cpu_backward: _cpu_sdpa_backward}


def count_flops(spec, arch: dict, sentence_length: int, device: str) -> tuple[float, str]:
    """(FLOPs of one forward+backward per sample, where counted): on the meta device (batch 2, no compute), or
    on `device` at batch 1 when a model's forward needs real values (atacFormer's padding-mask indexing).

    Meta is preferred: there attention and LSTMs decompose into matmuls the counter sees, while fused CPU/cuDNN
    RNN kernels are invisible to it (an LSTM counts 0 on a real device)."""
    for where, batch_size in (("meta", 2), (device, 1)):
        try:
            with torch.device(where):
                model = spec.build(**arch)
            model.train()
            x, batch, _ = make_inputs(arch, batch_size, where, sentence_length)
            counter = FlopCounterMode(display=False, custom_mapping=CPU_ATTENTION_FLOPS)
            with counter:
                loss_of(model, model(x), batch).backward()
            return counter.get_total_flops() / batch_size, where
        except Exception as exc:  # noqa: BLE001 - data-dependent ops (nonzero, item) have no meta kernel
            if where != "meta":
                raise
            print(f"  {spec.name}: counting FLOPs on {device} ({type(exc).__name__} on the meta device)",
                  file=sys.stderr)
    raise AssertionError("unreachable")
