"""Intraclass correlations (Shrout & Fleiss 1979) and the complete block they are computed on."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llmops_core.metrics.coding import FloatArray, IntArray, collapse_rows
from llmops_core.metrics.estimate import Estimate, no_pairs_reason
from llmops_core.metrics.kappa import modal_count

ICC_FORMS: tuple[str, ...] = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")
IDENTICAL = "every score in the block is identical, so there is no variance to partition"


def icc_forms(matrix: FloatArray) -> dict[str, Estimate]:
    """Return the six Shrout & Fleiss ICCs of a complete items x raters matrix.

    ICC1/ICC1k: one-way random effects; ICC2/ICC2k: two-way random, absolute agreement;
    ICC3/ICC3k: two-way mixed, consistency. The k forms are the reliability of the mean of
    the k raters. Same definitions as pingouin.intraclass_corr.
    """
    n, k = matrix.shape
    if n < 2 or k < 2:
        reason = "ICC needs at least two items rated by the same two or more reviewers"
        return dict.fromkeys(ICC_FORMS, Estimate.undefined(reason))
    grand = matrix.mean()
    ss_total = float(((matrix - grand) ** 2).sum())
    if ss_total <= 0.0:
        return dict.fromkeys(ICC_FORMS, Estimate.undefined(IDENTICAL))
    ss_rows = k * float(((matrix.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((matrix.mean(axis=0) - grand) ** 2).sum())
    ss_error = max(ss_total - ss_rows - ss_cols, 0.0)
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    msw = (ss_cols + ss_error) / (n * (k - 1))
    ratios = {
        "ICC1": (msr - msw, msr + (k - 1) * msw),
        "ICC2": (msr - mse, msr + (k - 1) * mse + k * (msc - mse) / n),
        "ICC3": (msr - mse, msr + (k - 1) * mse),
        "ICC1k": (msr - msw, msr),
        "ICC2k": (msr - mse, msr + (msc - mse) / n),
        "ICC3k": (msr - mse, msr),
    }
    tiny = 1e-12 * ss_total / (n * k)
    reason = "the variance this form divides by is zero (no difference between items)"
    return {
        form: Estimate(num / den) if abs(den) > tiny else Estimate.undefined(reason)
        for form, (num, den) in ratios.items()
    }


@dataclass(frozen=True)
class IccBlock:
    """The complete items x raters block an ICC is computed on, and how it was chosen."""

    matrix: FloatArray
    mode: str  # "reviewers": real reviewer columns; "positions": k-th reviewer of each item
    raters_per_item: int
    reviewers: IntArray | None
    eligible_items: int

    def note(self) -> str:
        """Return a sentence explaining the block to a reader of the report."""
        k = self.raters_per_item
        if self.mode == "reviewers":
            return (
                f"items rated by the same {k} reviewers (the largest complete block among "
                f"the {self.eligible_items} items with {k} ratings); columns are reviewers"
            )
        return (
            f"all {self.eligible_items} items with {k} ratings; no one set of {k} reviewers "
            "rated half of them, so columns are the 1st..k-th reviewer of each item by "
            "reviewer order: ICC1/ICC1k (one-way) are exact, ICC2/ICC3 treat position as rater"
        )


def icc_block(
    unit: IntArray, rater: IntArray, score: FloatArray, n_units: int, n_raters: int
) -> IccBlock | str:
    """Return the complete block for the ICC, or the reason there is none.

    ICC needs every item rated by the same k raters. We take k as the most common number
    of ratings per item; if one reviewer set rated at least half of those items we use it
    with real reviewer columns, otherwise all of them with raters as positions.
    """
    per_unit = np.bincount(unit, minlength=n_units)
    k = modal_count(per_unit)
    if k is None:
        return no_pairs_reason(n_raters)
    keep = per_unit[unit] == k
    order = np.lexsort((rater[keep], unit[keep]))
    raters = rater[keep][order].reshape(-1, k)
    scores = score[keep][order].reshape(-1, k)
    sets, multiplicity, inverse = collapse_rows(raters)
    largest = int(np.argmax(multiplicity))
    eligible = raters.shape[0]
    if multiplicity[largest] * 2 >= eligible and multiplicity[largest] >= 2:
        rows = inverse == largest
        return IccBlock(scores[rows], "reviewers", k, sets[largest], eligible)
    return IccBlock(scores, "positions", k, None, eligible)
