"""regformer: sequence-to-function models for regulatory genomics, from raw files to reports."""

__version__ = "0.1.0"


def load(model_path, chain=None, **options):
    """A trained model (results/<chain>/<dataset>/<model>/model.pt) ready for .predict(...) in a notebook;
    see regformer.apply.model.ApplyModel. Imports torch only when called."""
    from regformer.apply.model import load as load_model

    return load_model(model_path, chain, **options)
