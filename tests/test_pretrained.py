"""Published weights: enformer-pytorch's checkpoint layout mapped onto our Enformer (same outputs, every tensor
accounted for), init files (checksums, weights_only, our own model.pt) and the tracks chain's init settings."""

import datetime

import pytest
import torch
import torch.nn.functional as F

from regformer.errors import InputError
from regformer.models.tracks.enformer import PAPER_HEADS, Enformer
from regformer.models.tracks.pretrained import from_enformer_pytorch
from regformer.models.saved import save_trained
from regformer.models.weights import apply_init, arch_for_init, load_matching

enformer_pytorch = pytest.importorskip("enformer_pytorch")  # test-only dependency: pip install -e '.[test]'

HEADS = {"human": 5, "mouse": 3}
# reduced: 48 channels, 3 tower blocks (16-bp bins), 2 transformer blocks; 1,024 bp -> 64 bins -> 48 after the crop
OURS = dict(seq_length=1024, bin_size=16, crop=8, channels=48, n_conv_tower=3, n_transformer=2, n_heads=2,
            key_size=16, output_heads=HEADS, conv_norm="batch", gelu="sigmoid", dropout=0.0)
THEIRS = dict(dim=48, depth=2, heads=2, attn_dim_key=16, num_downsamples=4, dim_divisible_by=8, target_length=48,
              output_heads=HEADS)


def reference(seed: int = 0):
    """A reduced enformer-pytorch Enformer, every parameter and BatchNorm statistic random, in eval mode."""
    torch.manual_seed(seed)
    model = enformer_pytorch.Enformer.from_hparams(**THEIRS)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if name.endswith("running_var"):
                tensor.uniform_(0.5, 2.0)
            elif tensor.is_floating_point():
                tensor.normal_(std=0.3 if "rel_" in name else 0.1)
    return model.eval()


def sequences(batch: int = 2, length: int = 1024) -> torch.Tensor:
    """(batch, length, 4) one-hot DNA (enformer-pytorch's layout; ours is its transpose)."""
    return F.one_hot(torch.randint(0, 4, (batch, length)), 4).float()


def test_same_outputs_as_enformer_pytorch_at_a_reduced_config():
    theirs = reference()
    ours = Enformer(**OURS).eval()
    report = load_matching(ours, from_enformer_pytorch(theirs.state_dict()), "reference", head="keep")
    assert report["loaded"] == len(ours.state_dict()) and report["dropped"] == []
    x = sequences()
    with torch.no_grad():
        expected, got = theirs(x), ours(x.transpose(1, 2))
    for head in HEADS:
        assert got[head].shape == expected[head].shape == (2, 48, HEADS[head])
        assert (got[head] - expected[head]).abs().max() <= 1e-4
        assert expected[head].std() > 1e-3  # the comparison is not between two constants


def test_full_size_names_cover_every_tensor_human_and_mouse_heads():
    with torch.device("meta"):
        theirs = enformer_pytorch.Enformer.from_hparams()  # 1536 channels, 11 blocks, human 5,313 + mouse 1,643
        ours = Enformer(output_heads=PAPER_HEADS, conv_norm="batch", gelu="sigmoid")
    state = theirs.state_dict()
    mapped = from_enformer_pytorch(state)
    canonical = {k for k in state if not k.startswith("_trunk.")}
    assert len(mapped) == len(canonical)  # no two of their tensors land on one of ours
    report = load_matching(ours, mapped, "full size", head="keep")
    assert report["loaded"] == len(ours.state_dict()) == len(canonical)
    assert mapped["heads.human.weight"].shape == (5313, 3072) and mapped["heads.mouse.weight"].shape == (1643, 3072)


def test_unexpected_missing_and_misshaped_tensors_are_named():
    state = reference().state_dict()
    with pytest.raises(InputError, match="unexpected tensor extra.weight"):
        from_enformer_pytorch({**state, "extra.weight": torch.zeros(1)})
    with pytest.raises(InputError, match=r"_trunk\.1\.0\.weight differs"):
        from_enformer_pytorch({**state, "_trunk.1.0.weight": state["stem.0.weight"] + 1})
    mapped = from_enformer_pytorch(state)
    del mapped["transformer.1.attention.r_r_bias"]
    with pytest.raises(InputError, match=r"missing tensors .*transformer\.1\.attention\.r_r_bias"):
        load_matching(Enformer(**OURS), mapped, "reference")
    with pytest.raises(InputError, match=r"mis-shaped tensors: .*attention\.key\.weight \(32, 48\)"):
        load_matching(Enformer(**{**OURS, "key_size": 8}), from_enformer_pytorch(state), "reference")
    with pytest.raises(InputError, match="unexpected tensors .*running_mean"):  # our LayerNorm has no statistics
        load_matching(Enformer(**{**OURS, "conv_norm": "layer"}), from_enformer_pytorch(state), "reference")


def test_init_file_checksum_weights_only_and_new_head(tmp_path):
    theirs = reference()
    path = tmp_path / "pytorch_model.bin"
    torch.save(theirs.state_dict(), path)
    import hashlib

    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    ours = Enformer(**OURS).eval()
    apply_init(ours, {"weights": str(path), "format": "enformer-pytorch", "sha256": sha256, "head": "keep"})
    x = sequences(1)
    with torch.no_grad():
        assert (ours(x.transpose(1, 2))["human"] - theirs(x)["human"]).abs().max() <= 1e-4
    with pytest.raises(InputError, match="sha256 is"):
        apply_init(ours, {"weights": str(path), "format": "enformer-pytorch", "sha256": "0" * 64})
    new_head = Enformer(**{**OURS, "output_heads": None, "n_tracks": 7})
    before = new_head.heads.tracks.weight.detach().clone()
    report = apply_init(new_head, {"weights": str(path), "format": "enformer-pytorch"})  # head: new (default)
    assert report["dropped"] == ["heads.human.bias", "heads.human.weight", "heads.mouse.bias", "heads.mouse.weight"]
    assert torch.equal(new_head.heads.tracks.weight, before)
    assert torch.equal(new_head.stem[0].weight, theirs.stem[0].weight)
    with pytest.raises(InputError, match=r"unexpected tensors .*heads\.human"):
        apply_init(new_head, {"weights": str(path), "format": "enformer-pytorch", "head": "keep"})
    pickled = tmp_path / "pickled.bin"
    torch.save({"made": datetime.date(2021, 10, 1)}, pickled)  # not tensors: weights_only refuses to unpickle it
    with pytest.raises(InputError, match="weights_only=True"):
        apply_init(ours, {"weights": str(pickled), "format": "enformer-pytorch"})


def test_our_own_model_pt_as_init(tmp_path):
    demo = dict(seq_length=1024, bin_size=16, crop=8, channels=48, n_conv_tower=3, n_transformer=2, n_heads=2,
                key_size=16)
    torch.manual_seed(1)
    trained = Enformer(**demo, n_tracks=2)
    path = tmp_path / "model.pt"
    save_trained({"name": "enformer", "chain": "tracks", "kind": "torch", "arch": demo, "training": {"lr": 1e-3},
                  "summary": {}, "members": 1, "model": trained}, path)
    torch.manual_seed(2)
    model = Enformer(**demo, n_tracks=3)  # one more track: a new head on the trained trunk
    report = apply_init(model, {"weights": str(path), "format": "regformer"})
    assert report["dropped"] == ["heads.tracks.bias", "heads.tracks.weight"]
    assert torch.equal(model.transformer[1].attention.query.weight, trained.transformer[1].attention.query.weight)
    with pytest.raises(InputError, match="mis-shaped tensors: heads.tracks.bias"):
        apply_init(model, {"weights": str(path), "format": "regformer", "head": "keep"})
    with pytest.raises(InputError, match="not found"):
        apply_init(model, {"weights": str(tmp_path / "absent.pt"), "format": "regformer"})


def test_init_format_sets_the_papers_layers_and_needs_full_size():
    init = {"weights": "pytorch_model.bin", "format": "enformer-pytorch"}
    assert arch_for_init("enformer", {"conv_norm": "layer", "gelu": "erf"}, {"size": "full", "init": init}) == {
        "conv_norm": "batch", "gelu": "sigmoid"}
    with pytest.raises(InputError, match="size: full"):
        arch_for_init("enformer", {}, {"init": init})
    with pytest.raises(InputError, match="conv_norm: layer contradicts"):
        arch_for_init("enformer", {}, {"size": "full", "init": init, "conv_norm": "layer"})
    with pytest.raises(InputError, match="without a sha256"):
        arch_for_init("enformer", {}, {"size": "full", "init": {**init, "weights": "https://example.org/w.bin"}})


def test_safetensors_file_with_only_the_trunk_alias_names(tmp_path):
    """A .safetensors export keeps one name per shared tensor: here enformer-pytorch's `_trunk.*` ones."""
    from safetensors.torch import save_file

    theirs = reference()
    state = theirs.state_dict()
    aliased = {k for k in state if k.startswith("_trunk.")}
    kept = {k: v.clone() for k, v in state.items() if k in aliased or not k.startswith(("stem.", "conv_tower.",
                                                                                           "transformer.", "final_"))}
    path = tmp_path / "model.safetensors"
    save_file(kept, str(path))
    ours = Enformer(**OURS).eval()
    apply_init(ours, {"weights": str(path), "format": "enformer-pytorch", "head": "keep"})
    x = sequences(1)
    with torch.no_grad():
        assert (ours(x.transpose(1, 2))["mouse"] - theirs(x)["mouse"]).abs().max() <= 1e-4
