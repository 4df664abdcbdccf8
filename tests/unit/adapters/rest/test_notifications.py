"""Which subscription wants which event, the TMF envelope, and the published OpenAPI document."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.rest.dispatcher import HubDispatcher
from adapters.rest.notifications import StoredQuery, envelope, wants
from adapters.rest.openapi import build_document
from adapters.rest.settings import RestSettings
from adapters.rest.vocabulary import KINDS
from core.domain.events import EventType, ItemStateChange, OrderEvent
from core.domain.model import Kind
from core.ports import Subscription

SERVICE = KINDS[Kind.SERVICE]
ORDER = {
    "id": "o1",
    "kind": "serviceOrder",
    "clientId": "acme",
    "orderType": "ServiceOrder",
    "state": "completed",
    "version": 4,
    "items": [{"id": "1", "action": "add", "state": "completed", "quantity": 1, "entity": {}}],
}


def _event(type_: EventType = EventType.STATE_CHANGED, client: str = "acme", **extra) -> OrderEvent:
    return OrderEvent(
        "e1",
        type_,
        datetime(2030, 1, 1, tzinfo=UTC),
        "o1",
        "serviceOrder",
        client,
        "completed",
        ORDER,
        **extra,
    )


def _sub(query: str | None, all_orders: bool = False, client: str = "acme") -> Subscription:
    return Subscription("s1", "http://x/", client, Kind.SERVICE, StoredQuery(query, all_orders).dump())


def test_subscribers_get_their_own_orders_unless_they_see_every_order():
    assert wants(SERVICE, _sub(None), _event())
    assert not wants(SERVICE, _sub(None, client="other"), _event())
    assert wants(SERVICE, _sub(None, all_orders=True, client="noc"), _event())


@pytest.mark.parametrize(
    ("query", "wanted"),
    [
        ("eventType=ServiceOrderStateChangeEvent", True),
        ("eventType=ServiceOrderCreateEvent", False),
        ("event.serviceOrder.state=completed", True),
        ("state=inProgress", False),
        ("serviceOrderItem.state=completed&eventType=ServiceOrderStateChangeEvent", True),
    ],
)
def test_the_query_filters_by_event_type_and_order_attributes(query, wanted):
    assert wants(SERVICE, _sub(query), _event()) is wanted


def test_the_envelope_names_the_event_the_tmf_way():
    change = ItemStateChange("1", "inProgress", "completed")
    body = envelope(_event(previous_state="inProgress", item_changes=(change,), reason="done"), "http://gw")
    assert body["eventType"] == "ServiceOrderStateChangeEvent"
    assert body["eventTime"] == "2030-01-01T00:00:00Z"
    assert body["event"]["serviceOrder"]["href"] == "http://gw/tmf-api/serviceOrdering/v4/serviceOrder/o1"
    assert body["previousState"] == "inProgress"
    assert body["itemStateChange"] == [{"id": "1", "previousState": "inProgress", "state": "completed"}]
    assert body["reason"] == "done"
    changed = envelope(_event(EventType.ATTRIBUTES_CHANGED, changed_fields=("items", "notes")), "http://gw")
    assert changed["eventType"] == "ServiceOrderAttributeValueChangeEvent"
    assert changed["fieldPath"] == "serviceOrderItem,note"
    assert envelope(_event(EventType.REMOVED), "")["eventType"] == "ServiceOrderDeleteEvent"


def test_retries_back_off_exponentially_up_to_a_cap():
    dispatcher = HubDispatcher(None, RestSettings(hub_retry_base_seconds=1, hub_retry_max_seconds=30), "")  # type: ignore[arg-type]
    assert [dispatcher.delay(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]


# six's importer (registered by spyne when the whole suite runs) warns on the validator's
# probes for optional modules, so it is imported here, under this filter, not at collection
@pytest.mark.filterwarnings("ignore:_SixMetaPathImporter.find_spec:ImportWarning")
def test_the_openapi_document_is_valid_and_covers_the_tmf_paths_and_extensions():
    from openapi_spec_validator import validate

    doc = build_document()
    validate(doc)
    for tk in KINDS.values():
        for path in ("", "/{id}", "/{id}/history", "/bulk"):
            assert f"{tk.collection_path}{path}" in doc["paths"]
        assert set(doc["paths"][f"{tk.base_path}/hub/{{id}}"]) == {"get", "delete"}
        assert f"{tk.api}_{tk.type_name}" in doc["definitions"]
    assert "/tmf-api/ordergate/v1/metadata" in doc["paths"]
    assert not [p for p in doc["paths"] if "/listener/" in p]


def test_the_shipped_tmf_files_are_the_official_ones():
    shared = Path(__file__).resolve().parents[5] / "shared" / "specs" / "tmf"
    if not shared.is_dir():
        pytest.skip("the official TMF files are not beside this checkout")
    shipped = Path(__file__).resolve().parents[4] / "core" / "document" / "tmf"
    for tk in KINDS.values():
        digest = [hashlib.sha256((d / tk.spec_file).read_bytes()).hexdigest() for d in (shared, shipped)]
        assert digest[0] == digest[1], tk.spec_file
