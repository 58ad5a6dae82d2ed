"""The refusal detector: an output refuses when its text contains one of these phrases.

Matching is case insensitive and by substring, done in SQL by the drift reports (so no text
leaves the database) and by ``is_refusal`` here for plain text. The list is short on purpose:
phrases assistants use to decline, in both straight and typographic apostrophes. It misses
refusals worded otherwise and can flag an answer that quotes one; a refusal rate is a
monitoring signal, not a label. Patterns are ASCII plus the typographic apostrophe, which
every database folds the same way.
"""

from __future__ import annotations

from typing import Final

_PHRASES: Final = (
    "I can't help with",
    "I can't assist with",
    "I cannot help with",
    "I cannot assist with",
    "I'm sorry, but I can't",
    "I'm sorry, but I cannot",
    "I am unable to",
    "I'm unable to",
    "I won't be able to",
    "I'm not able to provide",
    "as an AI language model",
)
REFUSAL_PATTERNS: Final = tuple(
    dict.fromkeys(
        [p.lower() for p in _PHRASES] + [p.lower().replace("'", "\u2019") for p in _PHRASES]
    )
)


def is_refusal(text: str) -> bool:
    """Return whether ``text`` contains a refusal phrase (case insensitive)."""
    folded = text.lower()
    return any(pattern in folded for pattern in REFUSAL_PATTERNS)
