"""The order a queue serves its items in, computed once from the queue's seed (no database).

A lead who imports one file per prompt version must not get every reviewer rating all of v1
and then all of v2: the comparison would be confounded with fatigue and drift, and a reviewer
who sees two answers to one question back to back can tell the versions apart. So items get
a ``position`` when they join the queue, and the claim query serves them by it:

- ``random`` (the default): a seeded shuffle of the inputs, in blocks of ``BLOCK`` inputs.
  Within a block, each input's outputs fall in different rounds (one output of every input,
  then the next...), so answers to one question are served several items apart, never back to
  back while that can be avoided, and a study stopped early still has every version rated on
  the inputs it reached;
- ``interleaved``: the same, then the versions (prompt version and model) take turns:
  v1, v2, v1, v2...;
- ``import``: the order the outputs were given in.

The same seed and outputs always give the same order, so a design can be reproduced.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from annotate.models.queues import QueueOrder

BLOCK = 10  # inputs whose outputs are shuffled together
SEARCH = 500  # how far ahead to look for an entry to swap with a neighbour that clashes


@dataclass(frozen=True)
class Entry:
    """An output to place: its id, the input it answers, and the arm (version, model) behind it."""

    output_id: int
    input_key: str
    arm: Hashable


def _random_order(entries: Sequence[Entry], rng: random.Random) -> list[Entry]:
    by_input: dict[str, list[Entry]] = {}
    for entry in entries:
        by_input.setdefault(entry.input_key, []).append(entry)
    inputs = list(by_input)
    rng.shuffle(inputs)
    order: list[Entry] = []
    for start in range(0, len(inputs), BLOCK):
        groups = [list(by_input[key]) for key in inputs[start : start + BLOCK]]
        for group in groups:
            rng.shuffle(group)
        for turn in range(max(len(g) for g in groups)):
            round_ = [g[turn] for g in groups if turn < len(g)]
            rng.shuffle(round_)
            order.extend(round_)
    return order


def _interleave(entries: list[Entry]) -> list[Entry]:
    """Let the arms take turns, each keeping its own order; arms in a fixed (sorted) order."""
    arms: dict[Hashable, list[Entry]] = {}
    for entry in entries:
        arms.setdefault(entry.arm, []).append(entry)
    lanes = [arms[key] for key in sorted(arms, key=repr)]
    order: list[Entry] = []
    for turn in range(max((len(lane) for lane in lanes), default=0)):
        order.extend(lane[turn] for lane in lanes if turn < len(lane))
    return order


def _separate(
    order: list[Entry], movable_from: int, swappable: Callable[[Entry, Entry], bool]
) -> None:
    """Swap entries so that no two neighbours answer the same input, where that is possible.

    Only entries at ``movable_from`` or later move; ``swappable`` says which two may trade
    places (for an interleaved order, only entries of the same arm, to keep the turns).
    """

    def clash(at: int, entry: Entry, ignore: int) -> bool:
        return any(
            0 <= n < len(order) and n != ignore and order[n].input_key == entry.input_key
            for n in (at - 1, at + 1)
        )

    for i in range(max(movable_from, 1), len(order)):
        if order[i].input_key != order[i - 1].input_key:
            continue
        ahead = range(i + 1, min(i + 1 + SEARCH, len(order)))
        behind = range(i - 2, max(movable_from, i - 1 - SEARCH) - 1, -1)
        for k in (*ahead, *behind):
            a, b = order[i], order[k]
            if not swappable(a, b) or b.input_key == a.input_key:
                continue
            order[i], order[k] = b, a
            if clash(i, b, k) or clash(k, a, i):
                order[i], order[k] = a, b
                continue
            break


def served_order(
    entries: Sequence[Entry], *, order: str, seed: int, after: Entry | None = None
) -> list[int]:
    """Return the output ids of ``entries`` in the order the queue should serve them.

    ``after`` is the queue's last item when outputs are added to a queue that has items: the
    new ones start apart from it.
    """
    if order == QueueOrder.IMPORT:
        return [e.output_id for e in entries]
    if order not in (QueueOrder.RANDOM, QueueOrder.INTERLEAVED):
        raise ValueError(f"unknown order {order!r}")
    # Seeded by the queue and by what is already in it, so each addition gets its own shuffle.
    rng = random.Random(f"{seed}:{after.output_id if after else 0}")
    placed = _random_order(sorted(entries, key=lambda e: e.output_id), rng)
    if order == QueueOrder.INTERLEAVED:
        placed = _interleave(placed)
    head = [after] if after else []
    full = head + placed
    same_arm = order == QueueOrder.INTERLEAVED
    _separate(full, len(head), (lambda a, b: a.arm == b.arm) if same_arm else (lambda a, b: True))
    return [e.output_id for e in full[len(head) :]]
