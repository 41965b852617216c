"""The apply stage: use a trained model on new inputs (predict), score variants (variants) and explain its
predictions (explain), for any chain.

Shared code here never names a chain: each chain gives its hooks in regformer/chains/<chain>/apply.py
(regformer.apply.hooks says what they are). Importing this package is light; `regformer.load(path)` returns an
ApplyModel (regformer.apply.model) for notebooks.
"""
