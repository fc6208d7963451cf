"""Ranking metrics for top-N recommendation and document retrieval, and scorers for model
selection."""

from skae.metrics._ranking import (
    RANKING_METRICS,
    hit_rate_at_k,
    make_ranking_scorer,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)
from skae.metrics._retrieval import retrieval_precision_at_k, retrieval_precision_at_recall

__all__ = [
    "RANKING_METRICS",
    "hit_rate_at_k",
    "make_ranking_scorer",
    "ndcg_at_k",
    "precision_at_k",
    "recall_at_k",
    "retrieval_precision_at_k",
    "retrieval_precision_at_recall",
]
