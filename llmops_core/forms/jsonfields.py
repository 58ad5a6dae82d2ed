"""JSON typed into a form's text box: parsed strictly, with nothing the database cannot store."""

from __future__ import annotations

import json
from typing import Any

from django import forms

from llmops_core.io.jsontext import unstorable_text


def json_from_text(text: str) -> Any:
    """Return the JSON value of ``text``, or raise a ValidationError saying where it breaks.

    A ``\\u0000`` escape passes the form's own NUL check (the text has no NUL) and decodes to
    one, which PostgreSQL cannot store: it is refused here, naming the key that holds it.
    """
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(f"line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except RecursionError:
        raise forms.ValidationError("the JSON is nested too deeply") from None
    found = unstorable_text(value)
    if found is not None:
        path, problem = found
        where = f'at "{path}"' if path else "the value"
        raise forms.ValidationError(f"{where} {problem}, which text cannot hold; remove it")
    return value
