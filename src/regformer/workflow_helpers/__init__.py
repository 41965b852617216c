"""What the workflow's rules ask of the config: file paths, inputs, cluster resources (`snakemake --lint` wants
functions out of the .smk files, which keep only rules).

The Snakefile builds one `WorkflowHelpers` from the validated config, and on top of it each configured chain's
own rule helper (chains/<chain>/workflow.py, through the chain registry), whose store and report inputs it
registers. Here is what the chains share: common.py (`wf`), genome.py (the genome-window rules) and apply.py.
Nothing here imports torch, so building the job graph stays fast.
"""

from regformer.workflow_helpers.common import WorkflowHelpers, url_filename

__all__ = ["WorkflowHelpers", "url_filename"]
