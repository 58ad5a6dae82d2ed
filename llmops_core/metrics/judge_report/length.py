"""The length sentence of a judge report: does the judge follow answer length as the humans do?

Spearman's rho of each score with the answer's length in words, the judge's and the humans'
(consensus) on the same items. "Follows length more" is about the strength of the relation,
whichever its sign, so the comparison is on absolute values; the sentence then says which way
the stronger one points (longer answers rated higher, or lower). Opposite signs get their own
sentence: the judge rewards length where the humans punish it, or the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llmops_core.metrics.words import label, magnitude

LENGTH_GAP = 0.15  # difference in |rho| worth calling "more" or "less"
MEANINGFUL = 0.1  # |rho| below this is no relation with length


def _way(rho: float) -> str:
    return "higher" if rho > 0 else "lower"


def length_clause(name: str, bias: Mapping[str, Any]) -> str:
    """Return what one criterion's length figures say, e.g. "on fluency the judge ..."."""
    judge, humans = bias["judge"], bias["humans"]
    where = f"on {label(name)}"
    if judge["value"] is None or humans["value"] is None:
        reason = judge["reason"] if judge["value"] is None else humans["reason"]
        return f"{where} it is undefined ({reason})"
    j, h = judge["value"], humans["value"]
    rhos = f"rho {j:+.2f} vs {h:+.2f}"
    if j * h < 0 and min(abs(j), abs(h)) >= MEANINGFUL:
        return (
            f"{where} the judge rates longer answers {_way(j)} while the humans rate them "
            f"{_way(h)} ({rhos})"
        )
    compared = magnitude(j, h, LENGTH_GAP)
    if compared == "same":
        return f"{where} the judge follows answer length about as closely as the humans ({rhos})"
    if compared == "more":
        return (
            f"{where} the judge follows answer length more closely than the humans "
            f"({rhos}): it rates longer answers {_way(j)}"
        )
    return (
        f"{where} the judge follows answer length less closely than the humans "
        f"({rhos}): they rate longer answers {_way(h)}"
    )


def length_line(criteria: Mapping[str, Any]) -> str | None:
    """Return one sentence over every criterion (judge vs humans, Spearman's rho with length)."""
    parts = [length_clause(name, c["length_bias"]) for name, c in criteria.items()]
    if not parts:
        return None
    return "Length (Spearman's rho of score with answer length, judge vs humans): " + (
        "; ".join(parts) + "."
    )
