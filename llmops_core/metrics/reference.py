"""Outputs scored against reference answers: BLEU, chrF (sacrebleu) and ROUGE F (rouge-score).

Per output, each metric is the library's own sentence-level score: ``sacrebleu.sentence_bleu``
and ``sacrebleu.sentence_chrf`` with their defaults (0-100), and ``rouge_score``'s F-measure of
ROUGE-1, ROUGE-2 and ROUGE-L with the Porter stemmer (0-1), as its README shows. Per version,
the mean over outputs with a seeded bootstrap interval over outputs, and for BLEU and chrF the
corpus-level score (``sacrebleu.corpus_bleu``, ``corpus_chrf``), which is not the mean of the
sentence scores, with a bootstrap interval over outputs: a resample's corpus score comes from the
sum of its sentences' sufficient statistics, as sacrebleu's own paired bootstrap computes it.
Without any reference a version's numbers are undefined with a reason, never 0.

Both libraries are imported inside the functions that use them: a web process never loads them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from llmops_core.metrics.bootstrap import Interval, percentile_interval, resampled_multiplicities
from llmops_core.metrics.significance import mean_bootstrap_ci

METRICS: Final = ("bleu", "chrf", "rouge1", "rouge2", "rougeL")
LABELS: Final = {
    "bleu": "BLEU",
    "chrf": "chrF",
    "rouge1": "ROUGE-1 F",
    "rouge2": "ROUGE-2 F",
    "rougeL": "ROUGE-L F",
}
SCALES: Final = {"bleu": 100, "chrf": 100, "rouge1": 1, "rouge2": 1, "rougeL": 1}
CORPUS_METRICS: Final = ("bleu", "chrf")
ROUGE_TYPES: Final = ("rouge1", "rouge2", "rougeL")
# Changing how scores are computed changes every basis hash, so stored scores are recomputed.
SETTINGS: Final = "sacrebleu sentence defaults; rouge_score F, use_stemmer=True"
NO_ROUGE_TOKENS: Final = "the reference has no word ROUGE reads (its tokenizer keeps a-z and 0-9)"
NO_REFERENCE: Final = "no output of this version has a reference answer"


@dataclass(frozen=True)
class Score:
    """One metric of one output: the value, or None and why it is undefined."""

    metric: str
    value: float | None
    reason: str = ""


def has_reference(reference: str | None) -> bool:
    """Return whether ``reference`` is a usable reference answer (not blank)."""
    return bool(reference and reference.strip())


def basis_hash(hypothesis: str, reference: str) -> str:
    """Return the fingerprint of what a stored score was computed from (texts and settings)."""
    basis = json.dumps([SETTINGS, hypothesis, reference], ensure_ascii=False)
    return hashlib.sha256(basis.encode()).hexdigest()


class Scorer:
    """Score (output, reference) pairs; build once, score many (the ROUGE scorer is reused)."""

    def __init__(self) -> None:
        import sacrebleu
        from rouge_score import rouge_scorer, tokenizers

        self._sacrebleu = sacrebleu
        self._rouge = rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True)
        self._tokenizer = tokenizers.DefaultTokenizer(use_stemmer=False)

    def score(self, hypothesis: str, reference: str) -> list[Score]:
        """Return every metric of ``hypothesis`` against ``reference``, in ``METRICS`` order."""
        bleu = self._sacrebleu.sentence_bleu(hypothesis, [reference]).score
        chrf = self._sacrebleu.sentence_chrf(hypothesis, [reference]).score
        scores = [Score("bleu", float(bleu)), Score("chrf", float(chrf))]
        if not self._tokenizer.tokenize(reference):
            return scores + [Score(name, None, NO_ROUGE_TOKENS) for name in ROUGE_TYPES]
        # rouge_score takes the target (reference) first, then the prediction.
        rouge = self._rouge.score(reference, hypothesis)
        return scores + [Score(name, float(rouge[name].fmeasure)) for name in ROUGE_TYPES]


def corpus_scores(pairs: Sequence[tuple[str, str]]) -> dict[str, float | None]:
    """Return corpus-level BLEU and chrF of (output, reference) pairs (None without pairs)."""
    if not pairs:
        return dict.fromkeys(CORPUS_METRICS)
    import sacrebleu

    hypotheses = [h for h, _ in pairs]
    references = [[r for _, r in pairs]]
    return {
        "bleu": float(sacrebleu.corpus_bleu(hypotheses, references).score),
        "chrf": float(sacrebleu.corpus_chrf(hypotheses, references).score),
    }


def corpus_metric(name: str) -> Any:
    """Return the sacrebleu metric object behind a corpus score, with its default settings."""
    from sacrebleu.metrics import BLEU, CHRF

    return BLEU() if name == "bleu" else CHRF()


def sentence_statistics(name: str, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
    """Return each pair's sufficient statistics for the corpus metric (pairs x statistics)."""
    metric = corpus_metric(name)
    stats = metric._extract_corpus_statistics([h for h, _ in pairs], [[r for _, r in pairs]])
    return np.asarray(stats, dtype=np.int64)


def corpus_resample_scores(name: str, stats: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Return the corpus score of each resample; ``counts`` (resamples x pairs) says how often
    each pair is drawn."""
    metric = corpus_metric(name)
    sums = counts.astype(np.int64) @ stats
    return np.array([metric._compute_score_from_stats(row.tolist()).score for row in sums])


def corpus_interval(
    name: str, pairs: Sequence[tuple[str, str]], *, draws: int, seed: int
) -> Interval:
    """Return the bootstrap interval over outputs of a corpus-level score (seeded)."""
    if len(pairs) < 2:
        reason = "only one output; an interval needs at least two" if pairs else NO_REFERENCE
        return Interval(None, None, 0.95, draws, 0, reason)
    stats = sentence_statistics(name, pairs)
    rng = np.random.default_rng(seed + metric_seed(f"corpus:{name}"))
    blocks = [
        corpus_resample_scores(name, stats, counts)
        for counts in resampled_multiplicities(np.ones(len(pairs), dtype=np.int64), draws, rng)
    ]
    samples = np.concatenate(blocks) if blocks else np.empty(0)
    return percentile_interval(samples, 0.95, draws, NO_REFERENCE)


def metric_seed(name: str) -> int:
    """Return a stable per-metric seed offset, so each metric's interval stands alone."""
    return int(hashlib.sha256(f"reference:{name}".encode()).hexdigest()[:8], 16)


def metric_summary(
    name: str,
    values: Iterable[float | None],
    corpus: float | None,
    *,
    draws: int,
    seed: int,
    corpus_ci: Interval | None = None,
) -> dict[str, Any]:
    """Return one metric's mean over outputs, its bootstrap interval, counts and corpus score."""
    given = list(values)
    defined = np.array([v for v in given if v is not None], dtype=np.float64)
    reason = NO_REFERENCE if not given else "undefined for every output with a reference"
    ci = mean_bootstrap_ci(defined, draws=draws, seed=seed + metric_seed(name), empty_reason=reason)
    return {
        "name": name,
        "label": LABELS[name],
        "scale": [0, SCALES[name]],
        "mean": float(defined.mean()) if defined.size else None,
        "reason": None if defined.size else reason,
        "ci_low": ci.low,
        "ci_high": ci.high,
        "ci_reason": ci.reason,
        "n": int(defined.size),
        "n_undefined": len(given) - int(defined.size),
        "corpus": corpus,
        "corpus_ci_low": corpus_ci.low if corpus_ci else None,
        "corpus_ci_high": corpus_ci.high if corpus_ci else None,
        "corpus_ci_reason": (
            corpus_ci.reason if corpus_ci else "no corpus-level form; the mean is over outputs"
        ),
    }


def reference_summary(
    *,
    n_outputs: int,
    scores: Mapping[int, Sequence[Score]],
    pairs: Sequence[tuple[str, str]],
    draws: int,
    seed: int,
) -> dict[str, Any]:
    """Return a version's reference metrics as JSON-ready data.

    ``scores`` maps each output with a reference to its scores; ``pairs`` are those outputs'
    (output text, reference) for the corpus scores; ``n_outputs`` counts all the version's
    outputs, with a reference or not.
    """
    by_metric: dict[str, list[float | None]] = {name: [] for name in METRICS}
    for output_scores in scores.values():
        for score in output_scores:
            by_metric[score.metric].append(score.value)
    corpus = corpus_scores(pairs)
    intervals = {
        name: corpus_interval(name, pairs, draws=draws, seed=seed) for name in CORPUS_METRICS
    }
    return {
        "n_outputs": n_outputs,
        "n_with_reference": len(scores),
        "reason": None if scores else NO_REFERENCE,
        "metrics": [
            metric_summary(
                name,
                by_metric[name],
                corpus.get(name),
                draws=draws,
                seed=seed,
                corpus_ci=intervals.get(name),
            )
            for name in METRICS
        ],
        "settings": SETTINGS,
    }
