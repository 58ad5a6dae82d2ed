"""Reference metrics equal sacrebleu's and rouge-score's own numbers on their published examples.

Sentences: sacrebleu's README ("The dog bit the man." ...) and rouge-score's own tests
(``rouge_scorer_test.py``: "testing one two" against "testing one" and "testing two") and
README ("The quick brown fox ..."). The libraries themselves are the oracles.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import sacrebleu
from rouge_score import rouge_scorer

from llmops_core.metrics.reference import (
    METRICS,
    NO_REFERENCE,
    NO_ROUGE_TOKENS,
    Score,
    Scorer,
    basis_hash,
    corpus_interval,
    corpus_resample_scores,
    corpus_scores,
    metric_seed,
    reference_summary,
    sentence_statistics,
)
from llmops_core.metrics.significance import mean_bootstrap_ci

# sacrebleu README: the system outputs and the first reference stream.
README_SYS = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
README_REFS = ["The dog bit the man.", "It was not unexpected.", "The man bit him first."]


def scores_of(hypothesis: str, reference: str) -> dict[str, float | None]:
    return {s.metric: s.value for s in Scorer().score(hypothesis, reference)}


@pytest.mark.parametrize(("hyp", "ref"), list(zip(README_SYS, README_REFS, strict=True)))
def test_sentence_bleu_and_chrf_equal_sacrebleus_on_its_readme_sentences(
    hyp: str, ref: str
) -> None:
    got = scores_of(hyp, ref)
    assert got["bleu"] == sacrebleu.sentence_bleu(hyp, [ref]).score
    assert got["chrf"] == sacrebleu.sentence_chrf(hyp, [ref]).score


def test_a_perfect_match_scores_100_bleu_and_chrf() -> None:
    got = scores_of("The dog bit the man.", "The dog bit the man.")
    assert got["bleu"] == pytest.approx(100.0)
    assert got["chrf"] == pytest.approx(100.0)


def test_corpus_bleu_and_chrf_equal_sacrebleus_corpus_scores() -> None:
    """The README's corpus, one reference stream: corpus BLEU is not the mean of sentences."""
    pairs = list(zip(README_SYS, README_REFS, strict=True))
    got = corpus_scores(pairs)
    assert got["bleu"] == sacrebleu.corpus_bleu(README_SYS, [README_REFS]).score
    assert got["chrf"] == sacrebleu.corpus_chrf(README_SYS, [README_REFS]).score
    sentence_mean = np.mean([scores_of(h, r)["bleu"] for h, r in pairs])
    assert got["bleu"] != pytest.approx(sentence_mean)


@pytest.mark.parametrize(
    ("prediction", "target", "expected"),
    [
        # rouge_scorer_test.py testRouge2 / testRougeLConsecutive / testMultipleRougeTypes
        ("testing one", "testing one two", {"rouge1": 4 / 5, "rouge2": 2 / 3, "rougeL": 4 / 5}),
        # testRougeLNonConsecutive: no bigram in common, the LCS skips "one"
        ("testing two", "testing one two", {"rouge1": 4 / 5, "rouge2": 0.0, "rougeL": 4 / 5}),
        # testRouge1: one word of three
        ("testing", "testing one two", {"rouge1": 1 / 2, "rouge2": 0.0, "rougeL": 1 / 2}),
    ],
)
def test_rouge_f_equals_rouge_scores_published_test_values(
    prediction: str, target: str, expected: dict[str, float]
) -> None:
    got = scores_of(prediction, target)
    for name, value in expected.items():
        assert got[name] == pytest.approx(value)


def test_rouge_f_equals_rouge_scorer_on_its_readme_example() -> None:
    target, prediction = (
        "The quick brown fox jumps over the lazy dog",
        "The quick brown dog jumps on the log.",
    )
    oracle = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    expected = oracle.score(target, prediction)
    got = scores_of(prediction, target)
    assert got["rouge1"] == expected["rouge1"].fmeasure
    assert got["rouge2"] == expected["rouge2"].fmeasure
    assert got["rougeL"] == expected["rougeL"].fmeasure


def test_rouge_is_undefined_not_zero_when_the_reference_has_no_word_it_reads() -> None:
    """rouge-score's tokenizer drops every non a-z/0-9 character: CJK text has no tokens."""
    scores = Scorer().score("東京は日本の首都です。", "日本の首都は東京です。")
    by_name = {s.metric: s for s in scores}
    assert [s.metric for s in scores] == list(METRICS)
    assert (
        by_name["bleu"].value
        == sacrebleu.sentence_bleu("東京は日本の首都です。", ["日本の首都は東京です。"]).score
    )
    for name in ("rouge1", "rouge2", "rougeL"):
        assert by_name[name].value is None and by_name[name].reason == NO_ROUGE_TOKENS


def test_a_version_without_references_is_undefined_with_a_reason() -> None:
    summary = reference_summary(n_outputs=4, scores={}, pairs=[], draws=200, seed=0)
    assert summary["n_with_reference"] == 0 and summary["reason"] == NO_REFERENCE
    for metric in summary["metrics"]:
        assert metric["mean"] is None and metric["reason"] == NO_REFERENCE
        assert metric["ci_low"] is None and metric["ci_reason"] == NO_REFERENCE
        assert metric["corpus"] is None and metric["n"] == 0


def test_version_means_and_intervals_are_over_outputs_seeded_per_metric() -> None:
    pairs = [
        *zip(README_SYS, README_REFS, strict=True),
        ("The cat sat on the mat.", "The cat is on the mat."),
        ("A man bit the dog.", "The dog bit the man."),
    ]
    scorer = Scorer()
    scores = {i: scorer.score(h, r) for i, (h, r) in enumerate(pairs)}
    summary = reference_summary(n_outputs=7, scores=scores, pairs=pairs, draws=500, seed=3)
    assert summary["n_outputs"] == 7 and summary["n_with_reference"] == 5
    bleu = next(m for m in summary["metrics"] if m["name"] == "bleu")
    values = [sacrebleu.sentence_bleu(h, [r]).score for h, r in pairs]
    assert bleu["mean"] == pytest.approx(np.mean(values))
    ci = mean_bootstrap_ci(values, draws=500, seed=3 + metric_seed("bleu"))
    assert (bleu["ci_low"], bleu["ci_high"]) == (ci.low, ci.high)
    assert bleu["ci_low"] <= bleu["mean"] <= bleu["ci_high"] and bleu["ci_low"] < bleu["ci_high"]
    again = reference_summary(n_outputs=7, scores=scores, pairs=pairs, draws=500, seed=3)
    assert again == summary


def test_one_output_has_a_mean_but_no_interval() -> None:
    scores = {1: [Score(name, 0.5) for name in METRICS]}
    summary = reference_summary(n_outputs=1, scores=scores, pairs=[("a", "a")], draws=200, seed=0)
    rouge1 = next(m for m in summary["metrics"] if m["name"] == "rouge1")
    assert rouge1["mean"] == 0.5 and rouge1["ci_low"] is None
    assert "only one value" in rouge1["ci_reason"]


def test_undefined_scores_are_left_out_of_the_mean_and_counted() -> None:
    scores = {
        1: [Score("rouge1", 0.4)],
        2: [Score("rouge1", None, NO_ROUGE_TOKENS)],
        3: [Score("rouge1", 0.6)],
    }
    summary = reference_summary(n_outputs=3, scores=scores, pairs=[], draws=200, seed=0)
    rouge1 = next(m for m in summary["metrics"] if m["name"] == "rouge1")
    assert rouge1["mean"] == pytest.approx(0.5)
    assert (rouge1["n"], rouge1["n_undefined"]) == (2, 1)


def test_the_basis_hash_changes_with_the_output_or_the_reference() -> None:
    base = basis_hash("answer", "reference")
    assert base == basis_hash("answer", "reference")
    assert base != basis_hash("answer", "reference!")
    assert base != basis_hash("answer!", "reference")


@pytest.mark.parametrize(
    ("name", "oracle"), [("bleu", sacrebleu.corpus_bleu), ("chrf", sacrebleu.corpus_chrf)]
)
def test_a_resamples_corpus_score_equals_sacrebleus_on_the_resampled_sentences(
    name: str, oracle: Any
) -> None:
    """Summing sentence statistics is how sacrebleu scores a corpus: check it on resamples."""
    pairs = list(zip(README_SYS, README_REFS, strict=True))
    resamples = [[0, 0, 1], [2, 2, 2], [0, 1, 2], [1, 2, 1]]
    counts = np.array([np.bincount(r, minlength=3) for r in resamples])
    got = corpus_resample_scores(name, sentence_statistics(name, pairs), counts)
    for value, picked in zip(got, resamples, strict=True):
        hyps = [README_SYS[i] for i in picked]
        refs = [README_REFS[i] for i in picked]
        assert value == pytest.approx(oracle(hyps, [refs]).score)


def test_corpus_scores_get_a_seeded_bootstrap_interval_around_them() -> None:
    pairs = [
        *zip(README_SYS, README_REFS, strict=True),
        ("The cat sat on the mat.", "The cat is on the mat."),
    ]
    ci = corpus_interval("bleu", pairs, draws=300, seed=1)
    point = corpus_scores(pairs)["bleu"]
    assert ci.low is not None and ci.high is not None and point is not None
    assert ci.low <= point <= ci.high and ci.low < ci.high and ci.valid_draws == 300
    assert corpus_interval("bleu", pairs, draws=300, seed=1) == ci
    one = corpus_interval("chrf", pairs[:1], draws=300, seed=1)
    assert one.low is None and "only one output" in (one.reason or "")
    summary = reference_summary(
        n_outputs=4,
        scores={i: Scorer().score(*p) for i, p in enumerate(pairs)},
        pairs=pairs,
        draws=300,
        seed=1,
    )
    bleu = next(m for m in summary["metrics"] if m["name"] == "bleu")
    assert (bleu["corpus_ci_low"], bleu["corpus_ci_high"]) == (ci.low, ci.high)
    rouge = next(m for m in summary["metrics"] if m["name"] == "rougeL")
    assert rouge["corpus"] is None and rouge["corpus_ci_low"] is None and rouge["corpus_ci_reason"]
