"""A compact record of the external ids already read from one file, to catch repeats.

A Python set of strings costs about 100 bytes an id, which would break the import's flat
memory on files of millions of rows. This keeps an 8-byte digest of each id and the row it
came from in two open-addressing arrays: about 18 bytes an id. Two different ids share a
digest with a chance near n²/2⁶⁵ (3 in a million for a file of ten million rows).
"""

from __future__ import annotations

from array import array
from hashlib import blake2b

_EMPTY = 0


class SeenIds:
    """Remember ``external_id -> first row`` for one file (``capacity``: a power of two)."""

    def __init__(self, capacity: int = 1024) -> None:
        self._size = 0
        self._keys = array("Q", bytes(8 * capacity))
        self._rows = array("I", bytes(4 * capacity))

    @staticmethod
    def _digest(external_id: str) -> int:
        data = external_id.encode("utf-8", "surrogatepass")
        return int.from_bytes(blake2b(data, digest_size=8).digest(), "little") or 1

    def _slot(self, keys: array[int], key: int) -> int:
        mask = len(keys) - 1
        slot = key & mask
        while keys[slot] != _EMPTY and keys[slot] != key:
            slot = (slot + 1) & mask
        return slot

    def first_row(self, external_id: str, row: int) -> int | None:
        """Return the row that first had ``external_id``, or record ``row`` and return None."""
        key = self._digest(external_id)
        slot = self._slot(self._keys, key)
        if self._keys[slot] == key:
            return int(self._rows[slot])
        self._keys[slot] = key
        self._rows[slot] = row
        self._size += 1
        if self._size * 3 > len(self._keys) * 2:
            self._grow()
        return None

    def _grow(self) -> None:
        capacity = len(self._keys) * 2
        keys = array("Q", bytes(8 * capacity))
        rows = array("I", bytes(4 * capacity))
        for key, row in zip(self._keys, self._rows, strict=True):
            if key != _EMPTY:
                slot = self._slot(keys, key)
                keys[slot] = key
                rows[slot] = row
        self._keys, self._rows = keys, rows

    def __len__(self) -> int:
        return self._size
