"""The `regformer` command: `regformer models [--json]` lists every model with its parameter counts."""

from __future__ import annotations

import argparse
import json
import sys

from regformer.models.registry import models_table


def _models(args: argparse.Namespace) -> int:
    rows = models_table()
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
        return 0
    header = f"{'model':<24}{'task':<10}{'kind':<9}{'params (full)':>15}{'params (demo)':>15}{'paper':>13}"
    print(header)
    print("-" * len(header))
    for r in rows:
        paper = f"{r['paper_parameters']:,}" if r["paper_parameters"] else "-"
        print(f"{r['model']:<24}{r['task']:<10}{r['kind']:<9}{r['parameters_full']:>15,}{r['parameters_demo']:>15,}{paper:>13}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="regformer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    models = sub.add_parser("models", help="list every model of every chain with parameter counts")
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    models.set_defaults(func=_models)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
