"""Genomic-track networks: Enformer (with its relative attention and the released weights' mapping), the Genomic
Interpreter's 1D-Swin and CNN baselines, and the per-bin k-mer ridge."""
