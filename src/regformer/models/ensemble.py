"""A seed ensemble: several copies of one architecture, trained from different seeds, whose predictions are
averaged. On small noisy libraries the members' errors are partly independent, so the mean is steadier than
any one member."""

from __future__ import annotations

import torch
from torch import nn

from regformer.models.outputs import prediction_of


class SeedEnsemble(nn.Module):
    """Mean prediction of `members` (modules with the same input; their outputs' predictions are averaged)."""

    def __init__(self, members: list[nn.Module]):
        super().__init__()
        self.members = nn.ModuleList(members)
        # members that score both strands themselves (legnet with a strand channel) make the ensemble do so
        self.averages_strands = all(getattr(m, "averages_strands", False) for m in members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([prediction_of(member(x)) for member in self.members]).mean(0)
