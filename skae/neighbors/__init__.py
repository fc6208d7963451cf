"""Nearest-neighbour search for codes: Hamming ranking of binary codes (semantic hashing)."""

from skae.neighbors._hamming import hamming_kneighbors

__all__ = ["hamming_kneighbors"]
