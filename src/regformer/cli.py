"""The `regformer` command.

regformer models [--json]      every model of every chain with its parameter counts
regformer train CHAIN          train one model of a chain (the same job as the workflow's train_model rule)
regformer predict|variants|explain CHAIN --model model.pt --input FILE --output OUT
                               use a trained model on new inputs (docs/apply.md)
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from regformer.chains.registry import CHAINS, all_specs
from regformer.models.registry import models_table


def _models(args: argparse.Namespace) -> int:
    rows = models_table(all_specs())
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    header = f"{'model':<24}{'chain':<10}{'kind':<13}{'params (full)':>15}{'demo spec':>15}{'paper':>13}"
    print(header)
    print("-" * len(header))
    for r in rows:
        paper = f"{r['paper_parameters']:,}" if r["paper_parameters"] else "-"
        print(f"{r['model']:<24}{r['chain']:<10}{r['kind']:<13}{r['parameters_full']:>15,}{r['parameters_demo']:>15,}{paper:>13}")
    print("demo spec: the demo size as specified; a trained model's count follows its data (number of maps, tracks,\n"
          "tiles, cell types) and is n_parameters in its metrics.json and the report.")
    return 0


def _train(args: argparse.Namespace) -> int:
    """Train one model (regformer.training_job.train_job, as the workflow's train_model rule does)."""
    from regformer.logs import VERBOSE_ENV
    from regformer.training_job import train_job

    if args.verbose:
        os.environ[VERBOSE_ENV] = "1"
    train_job(args.chain, args.store, args.model, json.loads(args.model_config), args.output, args.log,
              trainer=json.loads(args.trainer), gpus=args.gpus, nodes=args.nodes, threads=args.threads, seed=args.seed)
    return 0


def _apply(args: argparse.Namespace) -> int:
    """One apply stage; a bad input prints its message (file, problem, fix) and exits 1."""
    from regformer.apply.stages import run_stage
    from regformer.errors import InputError

    try:
        run_stage(args.command, args.chain, args.model, args.input, args.output, json.loads(args.settings),
                  device=args.device, seed=args.seed)
    except InputError as err:
        print(f"regformer {args.command}: {err}", file=sys.stderr)
        return 1
    print(args.output)
    return 0


def _add_apply(sub) -> None:
    """predict / variants / explain: the same arguments, the stage's own input."""
    inputs = {"predict": "sequences (promoter: FASTA or TSV with a sequence column)",
              "variants": "variants (promoter: TSV with id, sequence, position, ref, alt)",
              "explain": "sequences to explain (FASTA/TSV), or `test` for the dataset's test split"}
    for stage, what in inputs.items():
        parser = sub.add_parser(stage, help=f"{stage} with a trained model: {what}")
        parser.add_argument("chain", choices=CHAINS, help="the model's chain")
        parser.add_argument("--model", required=True, help="results/<chain>/<dataset>/<model>/model.pt")
        parser.add_argument("--input", required=True, help=what)
        parser.add_argument("--output", required=True, help="the output file (see docs/apply.md for its format)")
        parser.add_argument("--settings", default="{}", help="JSON: the stage's settings (as in an apply: entry)")
        parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda when available)")
        parser.add_argument("--seed", type=int, default=0)
        parser.set_defaults(func=_apply)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="regformer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    models = sub.add_parser("models", help="list every model of every chain with parameter counts")
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    models.set_defaults(func=_models)
    train = sub.add_parser("train", help="train one model (the job the workflow's train_model rule runs)")
    train.add_argument("chain", choices=CHAINS, help="the data family of the store")
    train.add_argument("--store", required=True, help="the chain's prepared store (HDF5; a Hi-C store names its FASTA)")
    train.add_argument("--model", required=True, help="model name, see `regformer models`")
    train.add_argument("--output", required=True, help="where to save the trained model (model.pt)")
    train.add_argument("--model-config", default="{}", help="JSON: the model's entry in config.yaml")
    train.add_argument("--trainer", default="{}", help="JSON: the trainer section of config.yaml")
    train.add_argument("--gpus", type=int, default=0, help="GPUs per node of this job (Lightning devices)")
    train.add_argument("--nodes", type=int, default=1, help="nodes of this job (Lightning num_nodes)")
    train.add_argument("--threads", type=int, default=2, help="CPU threads for torch")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--log", required=True, help="log file (appended to: a resumed run keeps the earlier log)")
    train.add_argument("--verbose", action="store_true", help="print the traceback of an error on the console too "
                       "(also REGFORMER_VERBOSE=1); it always goes to the log")
    train.set_defaults(func=_train)
    _add_apply(sub)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
