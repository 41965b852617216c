"""HTML tables of model metrics for the comparison report.

Numbers are formatted for reading (thousands separators, 3 decimals) and the best score of each metric
column is bolded in that metric's direction (regformer.evaluate.compare.direction); context columns (counts,
seconds, fractions) are never ranked.
"""

from __future__ import annotations

import math
from html import escape
from numbers import Real

from regformer.evaluate.compare import HIGHER, direction

LEADING_METRICS = ("pearson", "spearman", "r2", "mse")
COUNT_KEYS = {"epoch", "epochs", "step", "steps", "seed"}


def is_number(value: object) -> bool:
    """A real number that is not a bool (JSON true/false are not scores)."""
    return isinstance(value, Real) and not isinstance(value, bool)


def _is_count(key: str) -> bool:
    """Counts describe the run, not its quality, so they are never bolded."""
    key = key.lower()
    return key.startswith(("n_", "num_")) or key in COUNT_KEYS


def _order(keys: set[str]) -> list[str]:
    """Headline metrics first (pearson, spearman, r2, mse), then the rest alphabetically."""
    leading = [key for key in LEADING_METRICS if key in keys]
    return leading + sorted(keys - set(leading))


def _format(key: str, value: object) -> str:
    """Ints with thousands separators, floats with 3 decimals (scientific when tiny or huge)."""
    if not is_number(value):
        return escape(str(value))
    number = float(value)
    if not math.isfinite(number):
        return escape(str(number))
    if isinstance(value, int) or (_is_count(key) and number.is_integer()):
        return f"{int(number):,}"
    if number != 0 and (abs(number) < 1e-3 or abs(number) >= 1e6):
        return f"{number:.3e}"
    return f"{number:,.3f}"


def _header(key: str) -> str:
    """A column title that may wrap after its underscores, so long metric names do not widen the table."""
    return escape(key).replace("_", "_<wbr>")


def _wrap(table: str) -> str:
    """A table in a box that scrolls sideways on its own if it is still too wide, instead of the whole page."""
    return f'<div class="table-wrap">{table}</div>'


def _best(rows: dict[str, dict], key: str) -> float | None:
    """Best value of one column across models, or None when bolding would say nothing."""
    values = [float(m[key]) for m in rows.values() if is_number(m.get(key)) and math.isfinite(m[key])]
    way = direction(key)
    if _is_count(key) or way is None or len(values) < 2:
        return None
    return max(values) if way == HIGHER else min(values)


def metrics_table(rows: dict[str, dict], label: str, ceiling: dict | None = None, bold: bool = True) -> str:
    """An HTML table: one row per entry of rows, columns = union of their numeric keys ("" when none)."""
    columns = _order({k for metrics in rows.values() for k, v in metrics.items() if is_number(v)})
    if not columns:
        return ""
    best = {key: _best(rows, key) if bold else None for key in columns}
    head = "".join(f"<th>{_header(key)}</th>" for key in columns)
    lines = [f"<table><thead><tr><th>{escape(label)}</th>{head}</tr></thead><tbody>"]
    for name, metrics in rows.items():
        cells = []
        for key in columns:
            value = metrics.get(key)
            text = _format(key, value) if is_number(value) else ""
            if best[key] is not None and is_number(value) and float(value) == best[key]:
                text = f"<b>{text}</b>"
            cells.append(f'<td class="num">{text}</td>')
        lines.append(f"<tr><td>{escape(name)}</td>{''.join(cells)}</tr>")
    if ceiling:
        cells = "".join(
            f'<td class="num">{_format(k, ceiling[k]) if is_number(ceiling.get(k)) else ""}</td>'
            for k in columns
        )
        lines.append(f'<tr class="ceiling"><td>noise ceiling</td>{cells}</tr>')
    lines.append("</tbody></table>")
    return _wrap("\n".join(lines))


def nested_tables(all_metrics: dict[str, dict], include=None, exclude=()) -> str:
    """One sub-table per nested dict key (e.g. per_map), rows = (model, entry); only the keys in `include` (when
    given) and not in `exclude`."""
    keys = sorted({k for m in all_metrics.values() for k, v in m.items() if isinstance(v, dict)
                   and (include is None or k in include) and k not in exclude},
                  key=lambda k: (k != "per_track", k))  # the finest table first: it is the one kept
    parts, seen = [], {}
    for key in keys:
        rows: dict[str, dict] = {}
        for model, metrics in all_metrics.items():
            nested = metrics.get(key)
            if not isinstance(nested, dict):
                continue
            if any(isinstance(v, dict) for v in nested.values()):
                for entry, values in nested.items():
                    if isinstance(values, dict):
                        rows[f"{model} / {entry}"] = values
            else:
                rows[model] = nested
        table = metrics_table(rows, "model / entry", bold=False)
        values = sorted(repr(sorted((k, v) for k, v in row.items() if is_number(v))) for row in rows.values())
        if repr(values) in seen:  # e.g. per_group when every group has one track: the same rows as per_track
            parts.append(f'<p class="note">{escape(key)}: the same values as {escape(seen[repr(values)])}.</p>')
            continue
        seen[repr(values)] = key
        if table:
            parts.append(f"<h3>{escape(key)}</h3>\n{table}")
    return "\n".join(parts)


def details_table(all_metrics: dict[str, dict]) -> str:
    """Descriptive string values (e.g. model class) as a small model x field table ("" when none); a field that only
    repeats each row's name (metrics.json's `model`) is left out."""
    keys = sorted({k for m in all_metrics.values() for k, v in m.items() if isinstance(v, str)})
    keys = [k for k in keys if any(m.get(k) != name for name, m in all_metrics.items())]
    if not keys:
        return ""
    head = "".join(f"<th>{_header(k)}</th>" for k in keys)
    body = "".join(
        f"<tr><td>{escape(model)}</td>"
        + "".join(f"<td>{escape(str(m.get(k, '')))}</td>" for k in keys)
        + "</tr>"
        for model, m in all_metrics.items()
    )
    return _wrap(f"<table><thead><tr><th>name</th>{head}</tr></thead><tbody>{body}</tbody></table>")
