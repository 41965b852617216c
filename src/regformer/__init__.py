"""regformer: sequence-to-function models for regulatory genomics, from raw files to reports."""

__version__ = "0.1.0"
