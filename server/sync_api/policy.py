"""The seller's thresholds the judging rules use (sync.Policy), from the settings."""

from __future__ import annotations

from server.settings import count_review_policy
from sync import Policy


def seller_policy(*, approved: bool = False) -> Policy:
    """`approved`: a supervisor approved the count: judge it without holding it again."""
    units, percent, hold = count_review_policy()
    return Policy(
        count_variance_units=units, count_variance_percent=percent, hold_variances=hold and not approved
    )
