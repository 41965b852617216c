"""The report section of the apply stage: links to each model's predict / variants / explain outputs, the
logos of its explained sequences and the motifs modisco-lite found (any chain: it reads only the files)."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd

from regformer.report.html import image

STAGES = ("predict", "variants", "explain")


def _links(model: str, folder: Path) -> list[str]:
    items = []
    for stage in STAGES:
        for path in sorted((folder / stage).glob("*")) if (folder / stage).is_dir() else []:
            if path.is_file() and not path.name.endswith((".tmp", ".fai")):
                href = f"{escape(model)}/{stage}/{escape(path.name)}"
                items.append(f'<li>{stage}: <a href="{href}">{href}</a></li>')
    return items


def apply_sections(model_dirs: dict[str, Path]) -> list[tuple[str, str]]:
    """[(heading, html)]: one "Use the trained models" section, or none when no model has apply outputs."""
    parts = []
    for model, folder in model_dirs.items():
        folder = Path(folder)
        links = _links(model, folder)
        if not links:
            continue
        parts.append(f"<h3>{escape(model)}</h3>\n<ul>\n" + "\n".join(links) + "\n</ul>")
        for maps in sorted((folder / "variants").glob("*.png")):
            parts.append(f"<p>{escape(maps.stem)}: the top variants' reference and alternative maps</p>"
                         + image(maps.read_bytes(), f"{model} variant maps", ""))
        for logos in sorted((folder / "explain").glob("*.png")):
            parts.append(image(logos.read_bytes(), f"{model} contribution logos", ""))
            motifs = logos.with_name(logos.name.removesuffix(".png") + ".motifs.tsv")
            if motifs.exists():
                table = pd.read_csv(motifs, sep="\t")
                parts.append("<p>modisco-lite patterns on these contribution scores:</p>" +
                             (table.to_html(index=False, float_format="%.3f") if len(table) else "<p>none found</p>"))
    if not parts:
        return []
    intro = ("<p>Outputs of the apply stage (docs/apply.md): predictions on new inputs, variant effects and "
             "contribution scores (in-silico mutagenesis and captum attributions), with sequence logos.</p>")
    return [("Use the trained models", intro + "\n".join(parts))]
