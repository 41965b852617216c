# regformer: sequence-to-function models from raw files to HTML reports.
# `snakemake --cores 2 all` runs the embedded demo (config.yaml); see README.md.
from snakemake.utils import min_version, validate

from regformer.chains.registry import CHAINS, workflow_files
from regformer.config_check import ConfigError, check_chain_sections, check_config, check_split_fractions
from regformer.config_check import check_path_names
from regformer.workflow_helpers import WorkflowHelpers
from regformer.workflow_helpers.genome import GenomeChainFiles, GenomeWindowRules

min_version("9.0")


# The embedded demo, unless the user gives their own config (--configfile), which then replaces it.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"



# A short message naming the user's config file, the key and what is allowed (not Snakemake's whole schema).
CONFIG_SCHEMA = f"{workflow.basedir}/workflow/schemas/config.schema.yaml"
try:
    check_config(config, CONFIG_SCHEMA, workflow.overwrite_configfiles)
    validate(config, CONFIG_SCHEMA, set_default=True)
    check_split_fractions(config, workflow.overwrite_configfiles)
    check_chain_sections(config, workflow.overwrite_configfiles)
    check_path_names(config, workflow.overwrite_configfiles)
except ConfigError as err:
    raise WorkflowError(str(err)) from None
CONFIGURED_CHAINS = [chain for chain in CHAINS if chain in config]
if not CONFIGURED_CHAINS:
    raise WorkflowError(f"the config has no chain section: add one of {', '.join(CHAINS)} (see config.yaml)")
# What the rules ask of the config (paths, inputs, resources): regformer.workflow_helpers, so rules files hold rules.
wf = WorkflowHelpers(config, CONFIGURED_CHAINS)
wf.config_files = workflow.overwrite_configfiles
# Each configured chain's rule helper (regformer/chains/<chain>/workflow.py): its store and report inputs here,
# the rest in its rules file (FILES[chain]); the genome-window chains also share genome_windows.smk.
FILES = {chain: workflow_files(chain, wf) for chain in CONFIGURED_CHAINS}
for _chain, _files in FILES.items():
    wf.chain_store[_chain] = _files.store
    wf.chain_report_inputs[_chain] = _files.report_inputs
GENOME_WINDOWS = GenomeWindowRules(wf, {c: f for c, f in FILES.items() if isinstance(f, GenomeChainFiles)})


report: "workflow/report/workflow.rst"


# Shared stages (train / evaluate / report any model of any chain), then each configured chain's own rules.
include: "workflow/rules/common.smk"
include: "workflow/rules/models.smk"


for _chain in CONFIGURED_CHAINS:

    include: f"workflow/rules/{_chain}.smk"


# regions -> targets (and the demo's noise-free targets and noise ceiling) of every genome-window chain
if GENOME_WINDOWS.chains():

    include: "workflow/rules/genome_windows.smk"


# predict / variants / explain with the trained models (after the chains' files: it extends their report inputs)
include: "workflow/rules/apply.smk"


rule all:
    default_target: True
    input:
        wf.chain_reports(),
