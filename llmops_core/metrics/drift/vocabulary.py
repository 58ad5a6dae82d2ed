"""Vocabulary: how the shares of the most frequent words moved between two windows.

Each output is cut into lower-case word tokens (``tokens``). The K most frequent tokens of
both windows pooled, plus one "other" column for every other token, make a 2 x (K + 1) table
of token counts; its Pearson chi-square (scipy's ``chi2_contingency``, no correction) is the
statistic. Tokens of one output are not independent draws (an answer that says "refund"
once tends to say it again), so scipy's chi-square p-value would be far too small; the
p-value comes instead from a permutation test that moves whole outputs between the windows:
(1 + permutations at least as extreme) / (1 + permutations). The effect is the total
variation distance between the two windows' shares over the K + 1 columns (the share of
word mass that moved, 0 to 1), with a bootstrap CI that resamples outputs in each window.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

import numpy as np

from llmops_core.metrics.bootstrap import percentile_interval
from llmops_core.metrics.drift.signal import MIN_VALUES, Signal

VOCABULARY: Final = "vocabulary"
VOCABULARY_TEST: Final = "chi2_permutation"
TVD: Final = "total_variation_distance"
TOP_K: Final = 50
PERMUTATIONS: Final = 999
MIN_TVD: Final = 0.05  # 5% of the word mass moved among the top words
WORD: Final = re.compile(r"\w+", re.UNICODE)


def tokens(text: str) -> Counter[str]:
    """Return the lower-case word tokens of ``text`` and their counts."""
    return Counter(WORD.findall(text.lower()))


@dataclass(frozen=True)
class TokenTable:
    """Outputs x (top tokens + other) token counts, and which outputs are in the after window."""

    words: list[str]
    counts: np.ndarray  # float64, outputs x (K + 1)
    after: np.ndarray  # bool per output


def token_table(
    before: Sequence[Counter[str]], after: Sequence[Counter[str]], k: int
) -> TokenTable:
    """Return the per-output counts of the k most frequent pooled tokens and of the rest.

    Ties in frequency are broken alphabetically, so the columns never depend on input order.
    """
    pooled: Counter[str] = Counter()
    for counter in (*before, *after):
        pooled.update(counter)
    words = [w for w, _ in sorted(pooled.items(), key=lambda item: (-item[1], item[0]))[:k]]
    column = {word: i for i, word in enumerate(words)}
    docs = [*before, *after]
    counts = np.zeros((len(docs), len(words) + 1))
    for row, counter in enumerate(docs):
        for word, n in counter.items():
            counts[row, column.get(word, len(words))] += n
    labels = np.zeros(len(docs), dtype=bool)
    labels[len(before) :] = True
    return TokenTable(words, counts, labels)


def chi_square_statistic(table: np.ndarray) -> np.ndarray:
    """Return Pearson's chi-square of each 2 x c table along the last two axes.

    Columns empty in both rows are left out of the sum (they have no expected count).
    """
    rows = table.sum(axis=-1, keepdims=True)
    cols = table.sum(axis=-2, keepdims=True)
    expected = rows * cols / table.sum(axis=(-2, -1), keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        cells = np.where(expected > 0, (table - expected) ** 2 / expected, 0.0)
    return np.asarray(cells.sum(axis=(-2, -1)))


def _tables(counts: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Return the 2 x c tables of boolean label rows (labels: draws x outputs)."""
    after_counts = after.astype(np.float64) @ counts
    return np.stack([counts.sum(axis=0) - after_counts, after_counts], axis=-2)


def total_variation(table: np.ndarray) -> np.ndarray:
    """Return half the L1 distance between the two rows' shares, per table."""
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = table / table.sum(axis=-1, keepdims=True)
    return 0.5 * np.abs(shares[..., 0, :] - shares[..., 1, :]).sum(axis=-1)


def permutation_p_value(
    table: TokenTable, observed: float, permutations: int, rng: np.random.Generator
) -> float:
    """Return the share of label permutations whose chi-square reaches the observed one."""
    hits, done = 0, 0
    while done < permutations:
        size = min(200, permutations - done)
        labels = np.stack([rng.permutation(table.after) for _ in range(size)])
        hits += int((chi_square_statistic(_tables(table.counts, labels)) >= observed - 1e-9).sum())
        done += size
    return (1 + hits) / (1 + permutations)


def tvd_interval(
    table: TokenTable, draws: int, confidence: float, rng: np.random.Generator
) -> tuple[float | None, float | None, str | None]:
    """Return the bootstrap percentile interval of the distance, resampling outputs per window."""
    if draws <= 0:
        return None, None, "bootstrap disabled (0 draws)"
    windows = [table.counts[~table.after], table.counts[table.after]]
    sums = []
    for rows in windows:
        picks = rng.multinomial(rows.shape[0], np.full(rows.shape[0], 1 / rows.shape[0]), draws)
        sums.append(picks.astype(np.float64) @ rows)
    interval = percentile_interval(
        total_variation(np.stack(sums, axis=-2)), confidence, draws, "no draw had any word"
    )
    return interval.low, interval.high, interval.reason


def measure_vocabulary(
    before: Sequence[Counter[str]],
    after: Sequence[Counter[str]],
    *,
    k: int = TOP_K,
    permutations: int = PERMUTATIONS,
    draws: int,
    confidence: float,
    seed: int,
    name: str = VOCABULARY,
) -> Signal:
    """Compare the top-k word shares of two windows of tokenised outputs."""
    signal = Signal(
        name=name,
        test=VOCABULARY_TEST,
        effect_kind=TVD,
        minimum_effect=MIN_TVD,
        n_before=len(before),
        n_after=len(after),
    )
    for window, docs in (("before", before), ("after", after)):
        if len(docs) < MIN_VALUES:
            reason = f"only {len(docs)} outputs {window}; a test needs at least {MIN_VALUES}"
            return _with(signal, reason=reason)
    table = token_table(before, after, k)
    observed_table = _tables(table.counts, table.after[None, :])[0]
    if (observed_table.sum(axis=-1) == 0).any():
        return _with(signal, reason="one window's outputs have no word at all")
    if not table.words:
        return _with(signal, reason="no word occurs in either window")
    rng = np.random.default_rng(seed)
    statistic = float(chi_square_statistic(observed_table))
    low, high, interval_reason = tvd_interval(table, draws, confidence, rng)
    shares = observed_table[:, :-1] / observed_table.sum(axis=-1, keepdims=True)
    moved = np.argsort(-np.abs(shares[1] - shares[0]), kind="stable")[:5]
    return _with(
        signal,
        statistic=statistic,
        p_value=permutation_p_value(table, statistic, permutations, rng),
        effect=float(total_variation(observed_table)),
        low=low,
        high=high,
        interval_reason=interval_reason,
        details={
            "top_k": len(table.words),
            "tokens_before": int(observed_table[0].sum()),
            "tokens_after": int(observed_table[1].sum()),
            "permutations": permutations,
            "moved": [
                {
                    "token": table.words[i],
                    "share_before": float(shares[0, i]),
                    "share_after": float(shares[1, i]),
                }
                for i in moved
            ],
        },
    )


def _with(signal: Signal, **changes: object) -> Signal:
    return replace(signal, **changes)  # type: ignore[arg-type]
