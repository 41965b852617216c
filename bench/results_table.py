"""Markdown table of the headline result of every dataset under a results folder (the README's and
docs/benchmarks.md's table): best model per chain's headline metric, its difference from the baseline with a
paired bootstrap SE, and its share of the noise ceiling. The logic is regformer.report.results_table.

    python bench/results_table.py results
"""

from __future__ import annotations

import argparse
from pathlib import Path

from regformer.report.results_table import DOC_PAGES, markdown, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="the workflow's results/ folder")
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument("--link-docs", action="store_true", help="link each chain's docs page, not its report")
    args = parser.parse_args()
    print(markdown(rows(args.results, args.n_boot), link_root=args.results.parent,
                   pages=DOC_PAGES if args.link_docs else None))


if __name__ == "__main__":
    main()
