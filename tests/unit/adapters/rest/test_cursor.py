"""The REST ``cursor``: opaque, bound to its sort, and refused (400) when it is not one the
gateway gave; ``count`` and ``archived`` are read as documented."""

from __future__ import annotations

import base64
import json

import pytest

from adapters.rest.filters import cursor_position, cursor_token, list_request
from adapters.rest.vocabulary import KINDS
from core.domain.errors import IllegalArgument, IllegalAttributeValue
from core.domain.model import Kind
from core.domain.query import CountMode

TK = KINDS[Kind.SERVICE]


def _request(**params: str):
    return list_request(TK, params.items(), default_limit=100, max_limit=1000)


def test_a_cursor_gives_back_its_position_under_its_sort():
    token = cursor_token("-orderDate", ("2025-01-01T00:00:00Z", "o-1"))
    assert cursor_position(token, "-orderDate") == ("2025-01-01T00:00:00Z", "o-1")
    with pytest.raises(IllegalAttributeValue, match="another sort"):
        cursor_position(token, "orderDate")


@pytest.mark.parametrize(
    "token",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        base64.urlsafe_b64encode(json.dumps(["", [{"a": 1}, "o-1"]]).encode()).decode(),
        "A" * 5000,
    ],
)
def test_what_no_gateway_gave_is_refused(token):
    with pytest.raises(IllegalAttributeValue, match="cursor"):
        cursor_position(token, "")


def test_a_cursor_of_the_wrong_length_or_beside_an_offset_is_refused():
    with pytest.raises(IllegalAttributeValue):
        _request(cursor=cursor_token("", ("2025-01-01T00:00:00Z",)))
    with pytest.raises(IllegalArgument):
        _request(cursor=cursor_token("", ("2025-01-01T00:00:00Z", "o-1")), offset="10")


def test_the_count_is_estimated_on_a_first_page_and_left_out_after_it():
    assert _request().query.count is CountMode.ESTIMATE
    assert _request(cursor=cursor_token("", ("2025-01-01T00:00:00Z", "o-1"))).query.count is CountMode.NONE
    assert _request(count="exact").query.count is CountMode.EXACT
    with pytest.raises(IllegalAttributeValue):
        _request(count="roughly")


def test_archived_and_the_page_bound():
    assert _request(archived="true").query.archived
    assert not _request().query.archived
    with pytest.raises(IllegalAttributeValue):
        _request(archived="yes")
    assert _request().query.max_bytes == 4 * 1024 * 1024
    assert _request().query.as_documents
