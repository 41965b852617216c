"""The scATAC chain's models: atacFormer and the open-frequency baseline (no torch import here)."""

from __future__ import annotations

from regformer.models.registry import CLOSED_FORM, TORCH, ModelSpec
from regformer.train.recipes import RECIPE, choices, derive, recipe_dict

CHAIN = "scatac"

# Tiles of 5 kb on chr1..chr22 and chrX of hg38 (ceil(length / 5,000) each; 606,219 in all): the paper's
# vocabulary for 23 chromosomes. The data decides the real numbers (arch_for_store fills chrom_tiles in).
HG38_5KB_TILES = [49792, 48439, 39660, 38043, 36308, 34162, 31870, 29028, 27679, 26760, 27018, 26656, 22873, 21409,
                  20399, 18068, 16652, 16075, 11724, 12889, 9342, 10164, 31209]


def _atacformer(**arch):
    from regformer.models.scatac.atacformer import AtacFormer

    return AtacFormer(**arch)


def _open_frequency(**arch):
    from regformer.models.scatac.open_frequency import OpenFrequency

    return OpenFrequency(**arch)


ATACFORMER_NOTE = (
    "atacFormer summary: V = B + 2 + C tokens (<pad>, <cls>, one <eos> per chromosome), factorized bin embedding "
    "V x 64 then 64 x 512, 12 pre-norm encoder layers (d 512, 8 heads, feed-forward 2,048: undocumented, the "
    "usual 4 d), maximum sentence 6,800 tokens, 15% of open tiles removed, decoder [<eos_c> -> 64 ; tile "
    "embedding 64] -> MLP 128 -> 3 states. The full-size count is for hg38 at 5 kb (606,219 tiles, 23 "
    "chromosomes); the summary gives no parameter count. Unweighted cross-entropy over all tiles: on the demo "
    "data (20 epochs) it reached masked-tile AUROC 0.735 against 0.716 with state weights balanced per batch "
    "(state_weighting: balanced); sampling closed tiles, the summary's other option, is not implemented."
)

# the store fills n_labels (its cell types) and sentence_budget (from budget_quantile, a training key).
# Cell embeddings (issue 23, docs/scatac.md): by default a separate bag-of-tiles head (cell_head "bag") trained by
# InfoNCE between two views of budget_quantile 0.1 of each cell, cut off from the encoder (the masked-tile
# predictions are the base recipe's); cells.h5ad's X_atacformer is its embedding. With a separate head the
# weight only sets its share of the gradient norm that gradient_clip_val clips (Adam ignores the scale
# otherwise): 0.001 leaves the encoder's clipped steps those of the base recipe, 1.0 does not.
# The recipe before issue 23: budget_quantile 0, contrastive_weight 0, cell_head "shared".
DEPTH_AND_LABELS = dict(n_labels=0, supervised_weight=0.0, contrastive_weight=0.001, sentence_budget=0,
                        cell_head="bag")

ATAC_TRAINING = recipe_dict(derive(RECIPE, batch_size=16, lr=3e-4, optimizer="adamw", weight_decay=0.01,
                                   rc_augment=False, gradient_clip_val=1.0), mask_ratio=0.15, budget_quantile=0.1)

MODELS: dict[str, ModelSpec] = {
    "atacformer": ModelSpec(
        name="atacformer", chain=CHAIN, kind=TORCH, build=_atacformer,
        full=dict(chrom_tiles=HG38_5KB_TILES, d_model=512, n_layers=12, n_heads=8, ff_dim=2048, embed_dim=64,
                  decoder_dim=64, decoder_hidden=128, dropout=0.1, state_weighting="none",
                  **DEPTH_AND_LABELS),
        demo=dict(chrom_tiles=HG38_5KB_TILES, d_model=64, n_layers=2, n_heads=4, ff_dim=128, embed_dim=32,
                  decoder_dim=32, decoder_hidden=64, dropout=0.0, state_weighting="none",
                  **DEPTH_AND_LABELS),
        training=ATAC_TRAINING, choices=choices(loss=("mse",), state_weighting=("none", "balanced"),
                                                    cell_head=("shared", "tokens", "tiles", "bag")),  # its own loss
        note=ATACFORMER_NOTE,
        provides=("cell_embeddings",),
    ),
    "open_frequency": ModelSpec(
        name="open_frequency", chain=CHAIN, kind=CLOSED_FORM, build=_open_frequency,
        full=dict(pseudocount=1.0), demo=dict(pseudocount=1.0), training=dict(),
        note="Masked-tile baseline: a tile's score is its open frequency across training cells (the same for "
             "every cell).",
    ),
}
