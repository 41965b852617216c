# regformer: sequence-to-function models from raw files to HTML reports.
# `snakemake --cores 2 all` runs the embedded demo (config.yaml); see README.md.
from snakemake.utils import min_version, validate

from regformer.chains.registry import CHAINS
from regformer.config_check import ConfigError, check_config, check_simulated_span, check_split_fractions
from regformer.config_check import check_path_names
from regformer.workflow_helpers import WorkflowHelpers

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
    check_simulated_span(config, workflow.overwrite_configfiles)
    check_path_names(config, workflow.overwrite_configfiles)
except ConfigError as err:
    raise WorkflowError(str(err)) from None
CONFIGURED_CHAINS = [chain for chain in CHAINS if chain in config]
if not CONFIGURED_CHAINS:
    raise WorkflowError(f"the config has no chain section: add one of {', '.join(CHAINS)} (see config.yaml)")
# What the rules ask of the config (paths, inputs, resources): regformer.workflow_helpers, so rules files hold rules.
wf = WorkflowHelpers(config, CONFIGURED_CHAINS)
wf.config_files = workflow.overwrite_configfiles


report: "workflow/report/workflow.rst"


# Shared stages (train / evaluate / report any model of any chain), then each configured chain's own rules.
include: "workflow/rules/common.smk"
include: "workflow/rules/models.smk"


for _chain in CONFIGURED_CHAINS:

    include: f"workflow/rules/{_chain}.smk"


# predict / variants / explain with the trained models (after the chains' files: it extends their report inputs)
include: "workflow/rules/apply.smk"


rule all:
    default_target: True
    input:
        wf.chain_reports(),
