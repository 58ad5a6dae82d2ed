"""The seeded sampler of routing rules: one reproducible uniform draw per (seed, output).

An output is drawn when its draw is below the rule's rate, so the same seed and output always
give the same decision (on any worker, in any order, after any retry), and each output of a
percentage rule is drawn independently with exactly the rate as its probability.
"""

from __future__ import annotations

import hashlib

SCALE = float(2**64)


def sample_draw(seed: int, output_id: int) -> float:
    """Return the uniform number in [0, 1) that SHA-256 of the seed and output id gives."""
    digest = hashlib.sha256(f"{seed}:{output_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / SCALE


def sample_included(seed: int, output_id: int, probability: float) -> bool:
    """Return whether the output is drawn at ``probability`` (1 draws every output)."""
    return probability >= 1 or sample_draw(seed, output_id) < probability
