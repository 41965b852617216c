#!/usr/bin/env bash
# The GPU measurements of issue 14 as one prepared run (about 8 minutes of a 15-minute device lease):
#   bash bench/gpu_run.sh [PYTHON]     (PYTHON defaults to .venv/bin/python; pip install -e '.[bench]' for the
#                                       enformer-pytorch reference)
# Writes bench/results/suite_<GPU>.json/.md (full size, compile off and on, enformer-pytorch side by side),
# bench/results/suite_<GPU>_demo.json/.md (demo size, eager) and bench/results/loaders_<GPU>.json (workers
# 0, 2, 4, 8 against the full-size models' measured consumption). Each step has its own time limit, so a
# slow step cannot eat the others' time.
set -u
PY=${1:-.venv/bin/python}
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH}
GPU=$($PY -c "import re, torch; print(re.sub(r'[^A-Za-z0-9]+', '_', torch.cuda.get_device_name()).strip('_'))")
mkdir -p bench/results
nvidia-smi --query-gpu=name,memory.total,clocks.max.sm --format=csv | tee bench/results/gpu_$GPU.txt
timeout 380 $PY bench/suite.py --device cuda --sizes full --compile both --steps 5 --warmup 2 --time-budget 300 \
    --out bench/results/suite_$GPU.json
timeout 90 $PY bench/suite.py --device cuda --sizes demo --compile off --steps 5 --warmup 2 --reference off --time-budget 60 \
    --out bench/results/suite_${GPU}_demo.json
timeout 60 $PY bench/loaders.py --workers 0,2,4,8 --batches 20 --suite bench/results/suite_$GPU.json \
    --out bench/results/loaders_$GPU.json
# issue 22: batched ISM against the one-mutant loop, and variants/s, of the demo models present in results/
ls results/*/demo/*/model.pt >/dev/null 2>&1 && timeout 120 $PY bench/ism_speed.py results/promoter/demo/*/model.pt \
    --device cuda --out bench/results/ism_speed_$GPU.json
ls -l bench/results
