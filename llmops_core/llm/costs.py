"""Cost of calls from a price table, and running totals of tokens and cost."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from llmops_core.llm.datatypes import CallResult
from llmops_core.llm.errors import ConfigError

PriceTable = Mapping[str, Mapping[str, float | str | Decimal]]
_THOUSAND = Decimal(1000)


def _price(model: str, prices: PriceTable, side: str) -> Decimal:
    """Return one price as an exact Decimal, naming the model and field when it is bad."""
    try:
        return Decimal(str(prices[model][side]))
    except KeyError:
        raise ConfigError(f'price table, model "{model}": field "{side}" is missing') from None
    except ArithmeticError:
        raise ConfigError(
            f'price table, model "{model}", field "{side}": {prices[model][side]!r} is not a number'
        ) from None


def cost_of(model: str, tokens_in: int, tokens_out: int, prices: PriceTable) -> Decimal | None:
    """Return the cost of a call, or None when the model has no price.

    Prices are per 1,000 tokens: ``{"model": {"input": 0.5, "output": 1.5}}``. Floats are
    read through their decimal text so ``0.1`` costs exactly ``0.1``.
    """
    if model not in prices:
        return None
    return (
        Decimal(tokens_in) * _price(model, prices, "input")
        + Decimal(tokens_out) * _price(model, prices, "output")
    ) / _THOUSAND


@dataclass
class RunTotals:
    """Running counts, tokens and cost over the results of a run."""

    calls: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    attempts: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost: Decimal = Decimal(0)
    unpriced_calls: int = 0

    def add(self, result: CallResult) -> None:
        """Count one result; calls with tokens but no cost are counted as unpriced."""
        self.calls += 1
        if result.ok:
            self.succeeded += 1
        elif result.error_kind == "cancelled":
            self.cancelled += 1
        else:
            self.failed += 1
        self.attempts += result.attempts
        self.tokens_in += result.tokens_in or 0
        self.tokens_out += result.tokens_out or 0
        if result.cost is not None:
            self.cost += result.cost
        elif result.tokens_in or result.tokens_out:
            self.unpriced_calls += 1
