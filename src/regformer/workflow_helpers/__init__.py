"""What the workflow's rules ask of the config: file paths, inputs, cluster resources (`snakemake --lint` wants
functions out of the .smk files, which keep only rules).

The Snakefile builds one `WorkflowHelpers` from the validated config; each chain's rules file builds its own
helper (`PromoterFiles`, `HicFiles`, `TracksFiles`, `ScatacFiles`) on top of it and registers its store and report
inputs. Nothing here imports torch, so building the job graph stays fast.
"""

from regformer.workflow_helpers.common import WorkflowHelpers, url_filename

__all__ = ["WorkflowHelpers", "url_filename"]
