"""Reading long-format ratings: the CSV reader and the scale parser."""

from __future__ import annotations

import io

import pytest

from llmops_core.metrics.longformat import RatingsError, parse_scale, read_ratings_csv


def test_parse_scale_accepts_a_range_or_a_list() -> None:
    assert parse_scale("1-5") == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert parse_scale("0 - 2") == [0.0, 1.0, 2.0]
    assert parse_scale("1,2,3,4,6") == [1.0, 2.0, 3.0, 4.0, 6.0]


@pytest.mark.parametrize("text", ["5-1", "abc", "3", "1,1", "1,x"])
def test_parse_scale_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="scale"):
        parse_scale(text)


def test_read_ratings_csv_ignores_extra_columns_and_keeps_timestamps() -> None:
    text = "item,reviewer,criterion,score,notes,timestamp\na,ann,f,4,x,2024-01-01T00:00:00Z\n"
    ratings, times = read_ratings_csv(io.StringIO(text))
    assert list(ratings.item) == ["a"] and ratings.score.tolist() == [4.0]
    assert times == ["2024-01-01T00:00:00Z"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("a,ann,f,x\n", 'row 2, field "score": "x" is not a number'),
        ("a,ann,f,nan\n", 'row 2, field "score": "nan" is not a finite number'),
        ("a,,f,3\n", 'row 2, field "reviewer": empty'),
        ("a,ann,f,3\nb,ann,f\n", 'row 3, field "score": empty'),
        ("a,ann,f,3,extra\n", "row 2: more fields than the header"),
    ],
)
def test_read_ratings_csv_names_the_row_and_field_of_a_bad_row(body: str, message: str) -> None:
    with pytest.raises(RatingsError, match=message):
        read_ratings_csv(io.StringIO("item,reviewer,criterion,score\n" + body))


def test_read_ratings_csv_requires_the_header_columns() -> None:
    with pytest.raises(RatingsError, match="missing column"):
        read_ratings_csv(io.StringIO("item,rater,score\na,b,1\n"))
