"""The DNA alphabet as uint8 codes (A=0, C=1, G=2, T=3, N=4) and the ASCII -> code table.

Kept in io (torch-free, no package imports) so that reading a FASTA and encoding sequences share one table
without io importing data.
"""

from __future__ import annotations

import numpy as np

ALPHABET = "ACGTN"
N_CODE = 4
INVALID = 255

ASCII_TO_CODE = np.full(256, INVALID, dtype=np.uint8)  # byte value -> code; anything outside ACGTN (any case): 255
for _code, _base in enumerate(ALPHABET):
    ASCII_TO_CODE[ord(_base)] = _code
    ASCII_TO_CODE[ord(_base.lower())] = _code
