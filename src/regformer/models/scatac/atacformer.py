"""atacFormer: a transformer encoder over cell sentences of open 5 kb tiles, pretrained by finding removed tiles.

Token ids (regformer.chains.scatac.sentences): 0 <pad>, 1 <cls>, 2 + c the <eos> of chromosome c, and
2 + C + t tile t, tiles numbered chromosome by chromosome in genomic order. There is no position embedding:
a tile's id is its genomic position, and a sentence lists its tiles in that order.

Per the atacFormer summary: factorized embedding (V x k, then k x d), pre-norm encoder layers whose attention
is torch.nn.functional.scaled_dot_product_attention with a padding mask (fused / flash kernels on GPUs), and a
decoder that compresses each <eos_c> output to 64 and concatenates it with the 64-d embedding of every tile
of chromosome c; an MLP gives 3 states (0 closed, 1 open and in the sentence, 2 open and removed).

Two optional terms shape the <cls> cell embedding (regformer.chains.scatac.dataset makes the batches):
- the summary's supervised loss: an MLP on <cls> predicts the cell type (batch["label"], -100 unknown) with
  weight supervised_weight (off without labels: n_labels 0);
- a contrastive term (contrastive_weight): <cls> of two independent fixed-size subsamples of one cell's open
  tiles (batch["x2"], batch["x3"]) must find each other in the batch (InfoNCE), so what the embedding carries is
  what the cell's tiles share, not how many there are. The masked-tile loss stays on whole sentences.
  cell_head decides what the term trains: "shared" (the <cls> output, through view_head: the term's gradient
  reshapes the encoder the masked-tile predictions use) or a separate cell head (cell_net, built last so the
  rest is initialised as without it) on features of the view that are detached from the encoder: "tokens" (the
  view's final <cls> output and mean tile output), "tiles" (the mean input embedding of the view's tiles) or
  "bag" (the mean of the head's own tile embedding: a bag of tiles). With a separate head the encoder's
  gradients are those of the masked-tile loss alone (the tile predictions are the base recipe's, up to gradient
  clipping: keep contrastive_weight small, 0.001), and the cell embedding is the head's hidden layer (before the
  InfoNCE projection, temperature HEAD_TEMPERATURE), over whole sentences for "bag" and "tiles".
The default (regformer.chains.scatac.specs, issue 23) is the "bag" head on views of budget_quantile 0.1: on the
demo it reaches spectral's kNN accuracy with ARI 0.967 and |PC1 vs depth| 0.23, while masked-tile AUROC is the
base recipe's to 4 digits (ARI over training seeds 0 / 1 / 2: 0.967 / 0.918 / 0.779; docs/scatac.md).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

PAD, CLS, N_SPECIAL = 0, 1, 2
CLOSED, KEPT, REMOVED = 0, 1, 2
BAG_INIT_STD = 0.1  # the bag head's own tile embedding at the start (Adam moves each entry ~lr a step)
BAG_SCALE = 10.0  # the bag embedding is BAG_SCALE x its parameter: Adam's steps on it are BAG_SCALE x lr
# InfoNCE temperature of the separate head: 1.0 against 0.1 took |PC1 vs depth| of the bag head from 0.84 to 0.22
# on cells whose depth varies independently of type (tests/test_scatac_depth.py; docs/scatac.md)
HEAD_TEMPERATURE = 1.0
IGNORE = -100  # target of a tile whose state is unknown (dropped from an overlong sentence)


class EncoderLayer(nn.Module):
    """Pre-norm self-attention and GELU feed-forward, each with a residual connection."""

    def __init__(self, d_model: int, n_heads: int, ff_dim: int, dropout: float):
        super().__init__()
        self.n_heads, self.dropout = n_heads, dropout
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.out = nn.Linear(d_model, d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, ff_dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(ff_dim, d_model))
        self.drop = nn.Dropout(dropout)

    def forward(self, h: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
        """h (batch, L, d); keep (batch, 1, 1, L) True where a key is a real token (not padding)."""
        b, length, d = h.shape
        q, k, v = self.qkv(self.norm1(h)).view(b, length, 3, self.n_heads, d // self.n_heads).permute(2, 0, 3, 1, 4)
        attn = F.scaled_dot_product_attention(q, k, v, attn_mask=keep, dropout_p=self.dropout if self.training else 0.0)
        h = h + self.drop(self.out(attn.transpose(1, 2).reshape(b, length, d)))
        return h + self.drop(self.ff(self.norm2(h)))


class AtacFormer(nn.Module):
    """Input (batch, L) token ids; output {"prediction": (batch, n_tiles, 3) state logits, "cls", "mean"}.

    chrom_tiles: tiles per chromosome (their sum is the number of tiles B; C = len(chrom_tiles)).
    embed_dim: k of the factorized embedding, or None for a full-size (V x d) embedding.
    """

    loss_name = "cross_entropy"  # training_loss: over tile states (+ the optional label and view terms)

    def __init__(self, chrom_tiles: list[int], d_model: int = 512, n_layers: int = 12, n_heads: int = 8,
                 ff_dim: int = 2048, embed_dim: int | None = 64, decoder_dim: int = 64, decoder_hidden: int = 128,
                 dropout: float = 0.1, state_weighting: str = "balanced", n_labels: int = 0,
                 supervised_weight: float = 0.0, contrastive_weight: float = 0.0, sentence_budget: int = 0,
                 cell_head: str = "shared"):
        super().__init__()
        self.n_chroms, self.n_tiles = len(chrom_tiles), int(sum(chrom_tiles))
        self.state_weighting = state_weighting
        self.supervised_weight, self.contrastive_weight = supervised_weight, contrastive_weight
        self.sentence_budget = sentence_budget  # tiles per embedded view (0: whole sentences); see cells.embed_store
        self.label_head = (nn.Sequential(nn.Linear(d_model, decoder_hidden), nn.GELU(), nn.Linear(decoder_hidden, n_labels))
                           if n_labels and supervised_weight > 0 else None)
        if cell_head not in ("shared", "tokens", "tiles", "bag"):
            raise ValueError(f"cell_head {cell_head!r}: use shared, tokens, tiles or bag")
        self.cell_head = cell_head
        self.view_head = (nn.Sequential(nn.Linear(d_model, d_model), nn.GELU(), nn.Linear(d_model, decoder_dim))
                          if contrastive_weight > 0 and cell_head == "shared" else None)
        vocab = self.n_tiles + N_SPECIAL + self.n_chroms
        tile_dim = embed_dim or d_model
        self.embed = nn.Embedding(vocab, tile_dim, padding_idx=PAD)
        self.project = nn.Linear(embed_dim, d_model, bias=False) if embed_dim else nn.Identity()
        self.layers = nn.ModuleList(EncoderLayer(d_model, n_heads, ff_dim, dropout) for _ in range(n_layers))
        self.norm = nn.LayerNorm(d_model)
        self.compress = nn.Linear(d_model, decoder_dim)
        # a full-size embedding is reduced to decoder_dim before the decoder (the summary's small decoder input)
        self.tile_reduce = nn.Linear(tile_dim, decoder_dim) if tile_dim != decoder_dim else nn.Identity()
        # the decoder MLP's first layer on [eos_c ; tile] is split in its two halves: the same map, without
        # materialising the (batch, B, 2 * decoder_dim) concatenation
        self.dec_eos = nn.Linear(decoder_dim, decoder_hidden)
        self.dec_tile = nn.Linear(decoder_dim, decoder_hidden, bias=False)
        self.dec_out = nn.Sequential(nn.GELU(), nn.Linear(decoder_hidden, 3))
        self.register_buffer("tile_chrom", torch.repeat_interleave(
            torch.arange(self.n_chroms), torch.as_tensor(chrom_tiles), output_size=self.n_tiles), persistent=False)
        features = 2 * d_model if cell_head == "tokens" else tile_dim
        separate = contrastive_weight > 0 and cell_head != "shared"
        # "bag": the head's own tile embedding (a bag of tiles), trained by the contrastive term alone
        self.cell_embed = nn.Embedding(vocab, tile_dim, padding_idx=PAD) if separate and cell_head == "bag" else None
        if self.cell_embed is not None:  # small, so that what the term learns outweighs the random start
            nn.init.normal_(self.cell_embed.weight, std=BAG_INIT_STD / BAG_SCALE)
        # the head: cell_net gives the cell embedding, cell_proj the InfoNCE space (SimCLR's representation and
        # projection: the embedding before the projection separated the demo's types better, ARI 0.89 vs 0.54)
        self.cell_net = (nn.Sequential(nn.LayerNorm(features), nn.Linear(features, d_model), nn.GELU())
                         if separate else None)
        self.cell_proj = nn.Linear(d_model, decoder_dim) if separate else None

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Final hidden states (batch, L, d) and the mask of real tokens (batch, L)."""
        real = x != PAD
        h = self.project(self.embed(x))
        keep = real[:, None, None, :]
        for layer in self.layers:
            h = layer(h, keep)
        return self.norm(h), real

    def decode(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """State logits (batch, B, 3) from the <eos_c> outputs and the tile embeddings of chromosome c."""
        is_eos = (x >= N_SPECIAL) & (x < N_SPECIAL + self.n_chroms)
        eos = self.compress(h[is_eos].view(len(x), self.n_chroms, -1))        # every sentence has C <eos>, in order
        tiles = self.tile_reduce(self.embed.weight[N_SPECIAL + self.n_chroms:])  # (B, decoder_dim)
        hidden = self.dec_eos(eos)[:, self.tile_chrom] + self.dec_tile(tiles)   # (batch, B, hidden)
        return self.dec_out(hidden)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h, real = self.encode(x)
        weights = real.unsqueeze(-1).to(h.dtype)
        out = {"prediction": self.decode(h, x), "cls": h[:, 0], "mean": (h * weights).sum(1) / weights.sum(1)}
        if self.label_head is not None:
            out["label_logits"] = self.label_head(h[:, 0])
        return out

    @torch.inference_mode()
    def predict_labels(self, x: torch.Tensor) -> torch.Tensor:
        """Cell-type logits (batch, n_labels) from <cls> (the supervised head; it must exist)."""
        return self.label_head(self.encode(x)[0][:, 0])

    @property
    def head_reads_whole(self) -> bool:
        """Whether the separate cell head embeds whole sentences: a mean over a cell's tiles ("bag", "tiles"), of
        which a fixed-size view's mean is an unbiased estimate (the views only keep the head from learning depth)."""
        return self.cell_net is not None and self.cell_head in ("bag", "tiles")

    @torch.inference_mode()
    def embed_cells(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Cell embeddings: the <cls> output (the separate cell head's embedding when there is one) and the mean
        over real tokens (no decoder)."""
        h, real = self.encode(x)
        weights = real.unsqueeze(-1).to(h.dtype)
        first = h[:, 0] if self.cell_net is None else self.cell_embedding(x, h)
        return first, (h * weights).sum(1) / weights.sum(1)

    def training_loss(self, output: dict, batch: dict) -> torch.Tensor:
        """Cross-entropy of the 3 states over every tile of every cell; `balanced` weights each state by the
        inverse of its count in the batch (closed tiles outnumber removed ones ~100:1), `none` does not."""
        logits, target = output["prediction"].float().reshape(-1, 3), batch["y"].long().reshape(-1)
        weight = None
        if self.state_weighting == "balanced":
            counts = torch.bincount(target[target >= 0], minlength=3).float()
            weight = torch.where(counts > 0, counts.sum() / (3 * counts.clamp(min=1)), torch.zeros_like(counts))
        loss = F.cross_entropy(logits, target, weight=weight, ignore_index=IGNORE)
        if self.label_head is not None and "label" in batch and (batch["label"] >= 0).any():
            loss = loss + self.supervised_weight * F.cross_entropy(output["label_logits"].float(), batch["label"].long(),
                                                                   ignore_index=IGNORE)
        # a one-cell batch gives a zero term; a separate head still takes part (DDP expects every parameter used)
        if "x3" in batch and (self.cell_net is not None or (self.view_head is not None and len(batch["x2"]) > 1)):
            loss = loss + self.contrastive_weight * self.view_loss(batch["x2"], batch["x3"])
        return loss

    def view_features(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        """The separate cell head's input, cut off from the encoder's gradient: [<cls> ; mean tile output] of the
        view's final states h (computed here when not given) for "tokens", its mean tile embedding for "tiles",
        the mean of the head's own tile embedding for "bag"."""
        tile = (x >= N_SPECIAL + self.n_chroms).unsqueeze(-1)
        count = tile.sum(1).clamp(min=1)
        if self.cell_head == "bag":
            return BAG_SCALE * (self.cell_embed(x) * tile).sum(1) / count
        with torch.no_grad():
            if self.cell_head == "tiles":
                return ((self.embed(x) * tile).sum(1) / count).detach()
            h = self.encode(x)[0] if h is None else h
            return torch.cat([h[:, 0], (h * tile).sum(1) / count], -1).detach()

    def cell_embedding(self, x: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        """The separate cell head's embedding of each sentence (batch, d_model): what cells.h5ad holds."""
        return self.cell_net(self.view_features(x, h)).float()

    def view_loss(self, x2: torch.Tensor, x3: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
        """Symmetric InfoNCE: each cell's first view must pick its second view among the batch's cells."""
        if self.cell_net is not None:
            z1, z2 = (F.normalize(self.cell_proj(self.cell_embedding(v)), dim=-1) for v in (x3, x2))
        else:
            z1 = F.normalize(self.view_head(self.encode(x3)[0][:, 0]).float(), dim=-1)
            z2 = F.normalize(self.view_head(self.encode(x2)[0][:, 0]).float(), dim=-1)
        logits = z1 @ z2.T / (HEAD_TEMPERATURE if self.cell_net is not None else temperature)
        same = torch.arange(len(z1), device=z1.device)
        return (F.cross_entropy(logits, same) + F.cross_entropy(logits.T, same)) / 2
