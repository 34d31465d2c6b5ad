"""Alerts (SPEC §8): rules over §5 metrics, judged edge-triggered after every scoring batch,
and per-violation notices; transitions go to the webhook outbox in the batch's transaction.

The scoring shell calls `evaluate_after_batch` (evaluate.py) inside its batch transaction.
"""

from .evaluate import evaluate_after_batch
from .notices import ViolationNotice

__all__ = ["ViolationNotice", "evaluate_after_batch"]
