"""One version's outputs on one criterion: judge score, human label, inclusion probability."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from llmops_core.metrics.coding import BoolArray, FloatArray, IntArray

ObjectArray = npt.NDArray[np.object_]
Keys = npt.NDArray[np.generic]


@dataclass(frozen=True)
class ScoredOutputs:
    """Parallel arrays, one entry per model output.

    ``judge`` is the judge's score (NaN where the judge scored nothing); ``human`` is the mean
    of the output's human ratings (NaN where nobody rated it) and ``reviewers`` how many
    ratings that mean rests on. ``probability`` is the known probability with which the
    output was drawn for human rating (active sampling); None means the human-rated outputs
    are a uniform random sample. ``input`` names the input (dataset row) an output answers,
    which pairs two versions in a comparison.
    """

    item: Keys
    judge: FloatArray
    human: FloatArray
    reviewers: IntArray
    probability: FloatArray | None = None
    input: Keys | None = field(default=None)

    def __post_init__(self) -> None:
        """Check the arrays line up and hold usable values."""
        sizes = {self.item.size, self.judge.size, self.human.size, self.reviewers.size}
        for extra in (self.probability, self.input):
            if extra is not None:
                sizes.add(extra.size)
        if len(sizes) != 1:
            raise ValueError("every per-output array must have one entry per output")
        if np.any(np.isinf(self.judge)) or np.any(np.isinf(self.human)):
            raise ValueError("judge scores and human labels must be finite (NaN for none)")
        if np.any(np.isnan(self.human) != (self.reviewers == 0)):
            raise ValueError("an output has a human label exactly when it has reviewers")
        if self.probability is not None:
            _check_probabilities(self.probability[self.labelled_any])

    @property
    def size(self) -> int:
        """Return the number of outputs."""
        return int(self.item.size)

    @property
    def judged(self) -> BoolArray:
        """Return which outputs have a judge score."""
        return np.isfinite(self.judge)

    @property
    def labelled_any(self) -> BoolArray:
        """Return which outputs have a human label (with or without a judge score)."""
        return np.isfinite(self.human)

    @property
    def labelled(self) -> BoolArray:
        """Return which outputs have both a human label and a judge score."""
        return self.labelled_any & self.judged

    @property
    def unlabelled(self) -> BoolArray:
        """Return which outputs have a judge score and no human label."""
        return self.judged & ~self.labelled_any

    def subset(self, mask: BoolArray | IntArray) -> ScoredOutputs:
        """Return the outputs a boolean mask or index array selects."""
        return ScoredOutputs(
            item=self.item[mask],
            judge=self.judge[mask],
            human=self.human[mask],
            reviewers=self.reviewers[mask],
            probability=None if self.probability is None else self.probability[mask],
            input=None if self.input is None else self.input[mask],
        )


def _check_probabilities(values: FloatArray) -> None:
    """Raise unless every value is a probability in (0, 1]."""
    bad = np.flatnonzero(~((values > 0) & (values <= 1)))
    if bad.size:
        value = float(values[bad[0]])
        raise ValueError(
            f"inclusion probability {value!r} of a human-rated output is not in (0, 1]"
        )


def scored_outputs(
    *,
    judge_items: Keys,
    judge_scores: npt.ArrayLike,
    human_items: Keys,
    human_scores: npt.ArrayLike,
    probability: tuple[Keys, npt.ArrayLike] | None = None,
    inputs: tuple[Keys, Keys] | None = None,
    outputs: Keys | None = None,
) -> ScoredOutputs:
    """Return per-output arrays from per-rating arrays.

    judge_items/judge_scores hold one judge score per output (an output scored twice is an
    error); human_items/human_scores hold one row per human rating, averaged per output.
    probability and inputs are (items, values) pairs looked up per output. outputs, when
    given, lists every output of the version, so outputs nobody scored are counted too;
    otherwise the outputs are those with a judge score or a human rating. Item keys may be
    integers or strings but must be of one kind.
    """
    judge_items = np.asarray(judge_items)
    human_items = np.asarray(human_items)
    pieces = [judge_items, human_items] + ([] if outputs is None else [np.asarray(outputs)])
    item, codes = np.unique(np.concatenate(pieces), return_inverse=True)
    judge_code, human_code = codes[: judge_items.size], codes[judge_items.size :]
    human_code = human_code[: human_items.size]
    counts = np.bincount(judge_code, minlength=item.size)
    if np.any(counts > 1):
        twice = item[np.argmax(counts > 1)]
        raise ValueError(f"the judge scored output {twice.item()!r} twice")
    judge = np.full(item.size, np.nan)
    judge[judge_code] = np.asarray(judge_scores, dtype=np.float64)
    reviewers = np.bincount(human_code, minlength=item.size).astype(np.int64)
    sums = np.bincount(
        human_code, weights=np.asarray(human_scores, dtype=np.float64), minlength=item.size
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        human = np.where(reviewers > 0, sums / np.maximum(reviewers, 1), np.nan)
    return ScoredOutputs(
        item=item,
        judge=judge,
        human=human,
        reviewers=reviewers,
        probability=None if probability is None else _lookup(item, *probability, np.nan),
        input=None if inputs is None else _lookup(item, *inputs, None),
    )


def _lookup(item: Keys, keys: Keys, values: npt.ArrayLike, missing: object) -> npt.NDArray:
    """Return values[keys == item] for each item, `missing` where an item has no entry."""
    keys = np.asarray(keys)
    array = np.asarray(values, dtype=np.float64 if missing is not None else object)
    order = np.argsort(keys, kind="stable")
    position = np.searchsorted(keys[order], item)
    position = np.minimum(position, max(keys.size - 1, 0))
    found = keys.size > 0 and (keys[order][position] == item)
    result = np.full(item.size, missing, dtype=array.dtype)
    if keys.size:
        found_mask = np.asarray(found, dtype=bool)
        result[found_mask] = array[order][position][found_mask]
    return result
