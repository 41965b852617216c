# regformer: sequence-to-function models from raw files to HTML reports.
# `snakemake --cores 2 all` runs the embedded demo (config.yaml); see README.md.
from snakemake.utils import min_version, validate

min_version("9.0")


# The embedded demo, unless the user gives their own config (--configfile), which then replaces it.
if not workflow.overwrite_configfiles:

    configfile: "config.yaml"



validate(config, "workflow/schemas/config.schema.yaml", set_default=True)


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
if "promoter" in config:

    include: "workflow/rules/promoter.smk"


if "hic" in config:

    include: "workflow/rules/hic.smk"


rule all:
    default_target: True
    input:
        promoter_reports() if "promoter" in config else [],
        hic_reports() if "hic" in config else [],
