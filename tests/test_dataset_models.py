"""Models per dataset: a dataset's own `models:` (merged over the chain's entries), one network under two names
(`network:`), a train.init model.pt as an input of the training job, and the fine-tuning section of a report."""

import pytest
from snakemake.exceptions import WorkflowError

from regformer.models.registry import merge_entries, network_name, resolve_model_config, spec_of_entry
from regformer.chains.tracks.specs import MODELS
from regformer.errors import InputError
from regformer.report.starting_points import starting_points_html
from regformer.workflow_helpers.common import WorkflowHelpers

PRETRAINED = "results/tracks/two/enformer/model.pt"


def _config(**dataset_models) -> dict:
    datasets = {"all": {"fasta": "g.fa", "targets": "t.tsv"},
                "cage": {"fasta": "g.fa", "targets": "c.tsv", **({"models": dataset_models} if dataset_models else {})}}
    return {"tracks": {"datasets": datasets,
                       "models": {"enformer": {"size": "demo", "train": {"max_epochs": 12, "lr": 0.001}},
                                  "kmer_ridge": {}}}}


def test_dataset_models_default_to_the_chains_and_merge_over_them():
    finetuned = {"network": "enformer", "train": {"max_epochs": 6, "freeze": "trunk",
                                                  "init": {"weights": PRETRAINED, "format": "regformer", "head": "new"}}}
    wf = WorkflowHelpers(_config(enformer={"train": {"max_epochs": 6}}, enformer_finetuned=finetuned), ["tracks"])
    assert list(wf.dataset_models("tracks", "all")) == ["enformer", "kmer_ridge"]
    cage = wf.dataset_models("tracks", "cage")
    assert list(cage) == ["enformer", "enformer_finetuned"]  # kmer_ridge not listed: not trained there
    assert cage["enformer"] == {"size": "demo", "train": {"max_epochs": 6, "lr": 0.001}}  # key by key over the chain's
    assert wf.model_names() == ["enformer", "enformer_finetuned", "kmer_ridge"]
    wf.check_models("tracks")  # every entry resolves
    _, training = resolve_model_config(spec_of_entry(MODELS, "enformer_finetuned", cage["enformer_finetuned"]),
                                       cage["enformer_finetuned"])
    # over the chain's enformer (its network): the same recipe but what the entry changes
    assert training["freeze"] == "trunk" and training["max_epochs"] == 6 and training["lr"] == 0.001


def test_init_weights_are_an_input_of_the_training_job():
    wf = WorkflowHelpers(_config(tuned={"network": "enformer", "train": {"init": {"weights": PRETRAINED}}},
                                 remote={"network": "enformer", "train": {"init": {
                                     "weights": "https://example.org/w.pt", "sha256": "0" * 64}}}), ["tracks"])

    class Wildcards:
        chain, dataset = "tracks", "cage"

    for model, expected in (("tuned", {"init_weights": PRETRAINED}), ("remote", {})):
        Wildcards.model = model
        assert wf.init_inputs(Wildcards) == expected
    Wildcards.dataset, Wildcards.model = "all", "enformer"
    assert wf.init_inputs(Wildcards) == {}


def test_a_name_that_is_no_network_needs_network():
    assert network_name("enformer_finetuned", {"network": "enformer"}) == "enformer"
    assert network_name("enformer", None) == "enformer"
    with pytest.raises(InputError, match="'enformer_v2': it is not one of this chain's networks"):
        spec_of_entry(MODELS, "enformer_v2", {})
    with pytest.raises(InputError, match="its network 'enformr' is not"):
        spec_of_entry(MODELS, "tuned", {"network": "enformr"})
    wf = WorkflowHelpers(_config(enformer_v2={"train": {"lr": 0.01}}), ["tracks"])
    with pytest.raises(WorkflowError, match=r"key tracks\.datasets\.cage\.models\.enformer_v2: .* network: NAME"):
        wf.check_models("tracks")


def test_merge_entries_replaces_size_and_merges_sections():
    base = {"size": "demo", "arch": {"dropout": 0.1}, "train": {"lr": 0.001, "max_epochs": 12}}
    merged = merge_entries(base, {"size": "full", "train": {"max_epochs": 2}})
    assert merged == {"size": "full", "arch": {"dropout": 0.1}, "train": {"lr": 0.001, "max_epochs": 2}}
    assert merge_entries(None, {"network": "enformer"}) == {"network": "enformer"}
    assert base["train"]["max_epochs"] == 12  # the chain's entry is not changed


def test_report_compares_a_fine_tuned_model_with_the_same_network_from_scratch():
    started = {"weights": PRETRAINED, "format": "regformer", "head": "new", "loaded": 120, "dropped": 2}
    metrics = {"enformer": {"model": "enformer", "pearson": 0.05, "training": {"optimizer_steps": 144}},
               "enformer_finetuned": {"model": "enformer", "pearson": 0.31,
                                      "training": {"optimizer_steps": 144, "started_from": started,
                                                   "frozen": "trunk"}},
               "kmer_ridge": {"model": "kmer_ridge", "pearson": 0.12, "training": {}}}
    html = starting_points_html(metrics, ("pearson",))
    assert "enformer_finetuned (started from results/tracks/two/enformer/model.pt (regformer; 120 tensors loaded, " \
           "a new head), frozen: trunk) reaches test pearson 0.310 in 144 optimizer steps; enformer from scratch " \
           "0.050 in 144." in html
    assert "kmer_ridge from scratch" not in html  # another network: not a from-scratch counterpart
    assert starting_points_html({k: metrics[k] for k in ("enformer", "kmer_ridge")}, ("pearson",)) is None


def test_a_tracks_dataset_keeps_the_tracks_it_lists(tmp_path):
    from regformer.chains.tracks.workflow import TracksFiles, kept_tracks

    table = tmp_path / "targets.tsv"
    table.write_text("identifier\tfile\tdescription\tgroup\tsum_stat\tclip\tclip_soft\tscale\n"
                     "k562_dnase\ta.bw\tDNase\tdnase\tsum\t\t\t1\nhepg2_cage\tb.bw\tCAGE\tcage\tsum\t\t\t1\n")
    datasets = {"sim": {"synthetic": {"seed": 3}, "tracks": ["cage", "dnase"]},
                "real": {"fasta": "g.fa", "targets": str(table), "tracks": ["hepg2_cage"]},
                "all": {"fasta": "g.fa", "targets": str(table)}}
    files = TracksFiles(WorkflowHelpers({"tracks": {"datasets": datasets, "models": {"kmer_ridge": {}}}}, ["tracks"]))

    class Wildcards:
        dataset = "sim"

    assert files.names("sim") == ["dnase", "cage"]  # the simulation's order
    assert files.bigwigs(Wildcards) == ["results/tracks/sim/raw/dnase.bw", "results/tracks/sim/raw/cage.bw"]
    Wildcards.dataset = "real"
    assert files.names("real") == ["hepg2_cage"] and files.bigwigs(Wildcards) == ["b.bw"]
    assert files.names("all") == ["k562_dnase", "hepg2_cage"]
    with pytest.raises(InputError, match=r"has no track\(s\) \['cage'\] .* list some of \['k562_dnase', 'hepg2_cage'\]"):
        kept_tracks(["k562_dnase", "hepg2_cage"], ["cage"], table)
