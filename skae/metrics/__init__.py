"""Ranking metrics for top-N recommendation, and scorers for model selection."""

__all__ = []
