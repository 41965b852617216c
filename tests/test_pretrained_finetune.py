"""Fine-tuning through the harness: a frozen trunk (BatchNorm statistics too) unfrozen after an epoch with its own
learning rate, gradient accumulation reaching the Trainer, init weights loaded at setup, activation checkpointing."""

import lightning as L
import pytest
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from regformer.errors import InputError
from regformer.models.tracks.enformer import Enformer
from regformer.models.outputs import poisson_loss
from regformer.train.finetune import FineTune, finetune_callbacks
from regformer.train.harness import build_trainer
from regformer.train.module import SupervisedTask

ARCH = dict(seq_length=256, bin_size=16, crop=2, n_tracks=2, channels=24, n_conv_tower=3, n_transformer=1,
            n_heads=2, key_size=8, conv_norm="batch", gelu="sigmoid", dropout=0.0)
TRAINING = dict(max_epochs=2, patience=5, batch_size=2, freeze="trunk", unfreeze_after=1, unfreeze_lr=1e-5,
                accumulate_grad_batches=2)


def batches(n: int = 4) -> DataLoader:
    """n batches of 2 random windows with Poisson targets."""
    torch.manual_seed(0)
    x = F.one_hot(torch.randint(0, 4, (n * 2, 256)), 4).float().transpose(1, 2)
    y = torch.poisson(torch.full((n * 2, 12, 2), 3.0))
    return DataLoader([{"x": x[i], "y": y[i]} for i in range(n * 2)], batch_size=2)


class Snapshots(L.Callback):
    """Parameters and BatchNorm statistics at the end of each training epoch."""

    def __init__(self):
        self.states = []

    def on_train_epoch_end(self, trainer, pl_module):
        self.states.append({k: v.detach().clone() for k, v in pl_module.model.state_dict().items()})


def test_frozen_trunk_then_unfrozen_with_its_own_lr(tmp_path):
    torch.manual_seed(0)
    model = Enformer(**ARCH)
    start = {k: v.detach().clone() for k, v in model.state_dict().items()}
    trainer = build_trainer(tmp_path, {"accelerator": "cpu", "progress_bar": False, "log_every_n_steps": 1},
                            TRAINING)
    assert trainer.accumulate_grad_batches == 2
    assert any(isinstance(c, FineTune) for c in trainer.callbacks)
    snapshots = Snapshots()
    trainer.callbacks.append(snapshots)
    task = SupervisedTask(model, loss_fn=poisson_loss, lr=1e-2)
    trainer.fit(task, train_dataloaders=batches(), val_dataloaders=batches(1))
    epoch0, epoch1 = snapshots.states
    trunk_keys = [k for k in start if not k.startswith("heads.")]
    assert all(torch.equal(epoch0[k], start[k]) for k in trunk_keys)  # weights and running statistics
    assert not torch.equal(epoch0["heads.tracks.weight"], start["heads.tracks.weight"])
    assert not torch.equal(epoch1["stem.0.weight"], epoch0["stem.0.weight"])  # unfrozen at epoch 1
    groups = trainer.optimizers[0].param_groups
    assert len(groups) == 2 and groups[1]["lr"] == 1e-5 and groups[0]["lr"] == 1e-2
    assert trainer.global_step == 4  # 8 batches over 2 epochs, one optimizer step per 2 batches


def test_finetune_settings_checked_and_default_adds_nothing():
    assert finetune_callbacks({"batch_size": 8}) == []
    assert finetune_callbacks({"freeze": "none", "init": None, "accumulate_grad_batches": 1}) == []
    with pytest.raises(InputError, match="freeze 'head'"):
        FineTune(freeze="head")
    with pytest.raises(InputError, match="nothing is frozen"):
        FineTune(unfreeze_after=2)


def test_activation_checkpointing_same_loss_and_gradients():
    torch.manual_seed(0)
    plain = Enformer(**{**ARCH, "conv_norm": "layer"}).train()
    checkpointed = Enformer(**{**ARCH, "conv_norm": "layer", "checkpoint_transformer": True}).train()
    checkpointed.load_state_dict(plain.state_dict())
    with torch.no_grad():  # the output projections start at zero: make attention reach the loss
        for model in (plain, checkpointed):
            model.transformer[0].attention.output.weight.fill_(0.05)
    batch = next(iter(batches(1)))
    losses = []
    for model in (plain, checkpointed):
        torch.manual_seed(1)  # the same attention-dropout masks; checkpointing replays them in the recomputation
        loss = poisson_loss(model(batch["x"]), batch)
        loss.backward()
        losses.append(loss.detach())
    torch.testing.assert_close(losses[0], losses[1])
    for (name, a), b in zip(plain.named_parameters(), checkpointed.parameters(), strict=True):
        torch.testing.assert_close(a.grad, b.grad, msg=name)
    assert plain.transformer[0].attention.query.weight.grad.abs().max() > 0


def test_train_model_from_our_model_pt_with_frozen_trunk(tmp_path):
    """End to end through the tracks chain: a model.pt trained here is the init of a second run whose trunk is
    frozen (trunk tensors unchanged, a new head trained) with gradient accumulation; model.pt records the recipe."""
    from regformer.chains.tracks.chain import TracksChain
    from regformer.chains.tracks.regions import define_track_regions
    from regformer.chains.tracks.synthetic import simulate_tracks
    from regformer.chains.tracks.targets import build_track_targets
    from regformer.train.runner import train_model

    bws = {t: str(tmp_path / f"{t}.bw") for t in ("dnase", "chip", "cage")}
    simulate_tracks(tmp_path / "genome.fa", bws, {t: str(tmp_path / f"{t}.nf.bw") for t in bws},
                    tmp_path / "targets.tsv", seed=4, chrom_lengths={"chr1": 80_000, "chr2": 50_000, "chr3": 50_000})
    define_track_regions(tmp_path / "genome.fa", list(bws.values()), tmp_path / "regions.tsv", bin_size=128,
                         seq_length=2048, train_stride=2048, eval_stride=2048, valid_chroms=["chr2"],
                         test_chroms=["chr3"])
    store = tmp_path / "targets.h5"
    build_track_targets(tmp_path / "targets.tsv", tmp_path / "regions.tsv", store, fasta=tmp_path / "genome.fa",
                        bin_size=128, crop=2)
    small = dict(size="demo", max_epochs=1, batch_size=4, channels=24, n_heads=2, key_size=8, n_transformer=1,
                 warmup_steps=1)
    trainer = {"accelerator": "cpu", "progress_bar": False}
    first = tmp_path / "pretrained" / "model.pt"
    train_model(TracksChain(), "enformer", small, store, first, trainer_cfg=trainer)
    second = tmp_path / "finetuned" / "model.pt"
    recipe = dict(small, init={"weights": str(first), "format": "regformer"}, freeze="trunk",
                  accumulate_grad_batches=2)
    train_model(TracksChain(), "enformer", recipe, store, second, trainer_cfg=trainer, seed=1)
    before = torch.load(first, weights_only=True)
    after = torch.load(second, weights_only=True)
    trunk = [k for k in before["model"] if not k.startswith("heads.")]
    assert trunk and all(torch.equal(before["model"][k], after["model"][k]) for k in trunk)
    assert not torch.equal(before["model"]["heads.tracks.weight"], after["model"]["heads.tracks.weight"])
    assert after["training"]["init"]["weights"] == str(first) and after["training"]["freeze"] == "trunk"
    assert after["training"]["accumulate_grad_batches"] == 2


def test_finetune_example_config_is_valid_and_resolves():
    """workflow/configs/tracks_finetune.yaml: schema-valid; each fine-tuning entry resolves, over the chain's
    enformer recipe, to a frozen trunk on the pretrained model.pt, which is an input of its training job."""
    from pathlib import Path

    import yaml
    from snakemake.utils import validate

    from regformer.chains.tracks.specs import MODELS
    from regformer.models.registry import flat_entry, resolve_model_config, spec_of_entry
    from regformer.models.weights import arch_for_init
    from regformer.workflow_helpers.common import WorkflowHelpers

    repo = Path(__file__).resolve().parents[1]
    config = yaml.safe_load((repo / "workflow/configs/tracks_finetune.yaml").read_text())
    validate(config, str(repo / "workflow/schemas/config.schema.yaml"), set_default=True)
    wf = WorkflowHelpers(config, ["tracks"])
    wf.check_models("tracks")
    models = wf.dataset_models("tracks", "demo_cage")
    for name in ("enformer_finetuned", "enformer_unfrozen"):
        spec = spec_of_entry(MODELS, name, models[name])
        arch, training = resolve_model_config(spec, models[name])
        assert spec.name == "enformer" and training["freeze"] == "trunk" and training["init"]["format"] == "regformer"
        assert training["max_epochs"] == 6 and training["lr"] == 0.001  # the scratch model's recipe and steps
        assert arch_for_init("enformer", arch, flat_entry(models[name])) == arch  # our model.pt: arch as configured

        class Wildcards:
            chain, dataset, model = "tracks", "demo_cage", name

        assert wf.init_inputs(Wildcards) == {"init_weights": "results/tracks/demo_two/enformer/model.pt"}
    datasets = config["tracks"]["datasets"]  # the demo's simulation again (same seed: the same genome), some tracks
    assert datasets["demo_two"]["synthetic"] == datasets["demo_cage"]["synthetic"] == datasets["demo"]["synthetic"]
    assert datasets["demo_two"]["tracks"] == ["dnase", "chip"] and datasets["demo_cage"]["tracks"] == ["cage"]
