"""Alerts (SPEC §8): rules over the catalogue's metrics, judged edge-triggered after every
scoring batch, and per-violation notices; transitions go to the webhook outbox in the
batch's transaction.

`evaluate_after_batch` (evaluate.py) is an after-batch hook of the scoring shell: the
scoring process's entry point hands it to the worker at start-up, and the worker runs
it inside each batch transaction. Alerts depend on the domain and the webhook outbox,
never on scoring; scoring never imports alerts.
"""

from .evaluate import evaluate_after_batch

__all__ = ["evaluate_after_batch"]
