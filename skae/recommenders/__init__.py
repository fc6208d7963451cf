"""Recommenders built on autoencoders: rating prediction (AutoRec) and top-N ranking."""

__all__ = []
