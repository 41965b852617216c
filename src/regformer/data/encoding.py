"""DNA as uint8 codes (A=0, C=1, G=2, T=3, N=4), and one-hot / reverse complement on the fly.

Codes take 1 byte per base on disk (a quarter of a float one-hot), and one-hot happens on the
device after the batch is transferred, so data loading moves as few bytes as possible.
"""

from __future__ import annotations

import numpy as np
import torch

from regformer.io.alphabet import ALPHABET, ASCII_TO_CODE, INVALID, N_CODE  # noqa: F401 (N_CODE, INVALID: re-exported)


def encode_fixed_length(sequences: list[str] | np.ndarray, length: int) -> np.ndarray:
    """Encode sequences to an (n, length) uint8 array: keep the last `length` bases, N-pad the 5' end.

    Characters outside ACGTN (any case) become 255 so that the caller can name the bad line.
    """
    text = "".join(s[-length:].rjust(length, "N") for s in sequences)
    raw = np.frombuffer(text.encode("latin-1", errors="replace"), dtype=np.uint8)
    return ASCII_TO_CODE[raw].reshape(len(sequences), length)


def decode(codes: np.ndarray) -> list[str]:
    """Turn an (n, L) code array back into strings (for reports and debugging)."""
    letters = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)[codes]
    return [row.tobytes().decode() for row in letters]


def one_hot(codes: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """(batch, L) integer codes -> (batch, 4, L) one-hot; N (code 4) becomes all zeros."""
    eye = torch.cat([torch.eye(4, dtype=dtype, device=codes.device), torch.zeros(1, 4, dtype=dtype, device=codes.device)])
    return eye[codes.long()].transpose(1, 2)


def reverse_complement_one_hot(x: torch.Tensor) -> torch.Tensor:
    """Reverse complement of (batch, 4, L) one-hot in ACGT order: flip the channels and the positions."""
    return x.flip(dims=(1, 2))


def reverse_complement_codes(codes: np.ndarray) -> np.ndarray:
    """Reverse complement of an (n, L) code array (N stays N)."""
    complement = np.array([3, 2, 1, 0, 4], dtype=np.uint8)
    return complement[codes[:, ::-1]]
