"""getProvisioningReport in the XML vocabulary: the core's figures as valid elements, errors as the core's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import xmlschema
from lxml import etree

from adapters.memory import MemoryOrderStore
from adapters.xml import NS, XmlOrderOperations, parse_message
from adapters.xml.schema import XSD_PATH, validate
from core.domain.errors import IllegalArgument, IllegalAttributeValue
from core.domain.model import Caller, Kind
from core.domain.states import State
from core.usecases import OrderManagement
from tests.builders import ADMIN, ALICE, NOC, item

INDEPENDENT = xmlschema.XMLSchema(str(XSD_PATH))
T0 = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NSMAP = {"om": NS}


class Clock:
    now = T0

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def om(clock: Clock) -> OrderManagement:
    return OrderManagement(MemoryOrderStore(), clock=clock)


async def report(om: OrderManagement, caller: Caller, body: str) -> etree._Element:
    request = parse_message(
        f'<getProvisioningReportRequest xmlns="{NS}">{body}</getProvisioningReportRequest>'.encode()
    )
    validate(request)
    (response,) = await XmlOrderOperations(om).execute(caller, request)
    INDEPENDENT.validate(etree.tostring(response))
    return response


async def test_the_report_carries_every_figure_and_level(om, clock):
    port = {"id": "p-1", "specification": {"id": "olt-port"}}
    order = await om.create_order(
        ALICE,
        Kind.RESOURCE,
        {"items": [item("1", "olt-port"), {"id": "2", "action": "modify", "entity": port}]},
    )
    await om.start_order(ALICE, None, order.id)
    clock.now = T0 + timedelta(seconds=90.5)
    for it in ("1", "2"):
        await om.change_order_item_state(NOC, None, order.id, it, State.COMPLETED)
    await om.create_order(
        ALICE, Kind.RESOURCE, {"items": [{"id": "1", "action": "noChange", "entity": {"id": "p-9"}}]}
    )
    window = "<kind>resourceOrder</kind><from>2026-06-01T00:00:00Z</from><to>2026-06-02T00:00:00+02:00</to>"
    response = await report(om, ADMIN, window)
    assert response.tag == f"{{{NS}}}getProvisioningReportResponse"
    assert response.findtext("om:from", namespaces=NSMAP) == "2026-06-01T00:00:00Z"
    assert response.findtext("om:to", namespaces=NSMAP) == "2026-06-01T22:00:00Z"
    (kind,) = response.findall("om:kindReport", NSMAP)
    assert kind.findtext("om:kind", namespaces=NSMAP) == "resourceOrder"
    figures = kind.find("om:figures", NSMAP)
    counts = [
        figures.findtext(f"om:{n}", namespaces=NSMAP) for n in ("ordered", "completed", "open", "inJeopardy")
    ]
    assert counts == ["2", "1", "1", "0"]
    assert figures.findtext("om:leadTime/om:median", namespaces=NSMAP) == "90.500"
    specs = kind.findall("om:specificationReport", NSMAP)
    assert [s.findtext("om:specification", namespaces=NSMAP) for s in specs] == [None, "olt-port"]
    actions = specs[1].findall("om:actionReport/om:action", NSMAP)
    assert [a.text for a in actions] == ["add", "modify"]
    assert [a.text for a in specs[0].findall("om:actionReport/om:action", NSMAP)] == ["noChange"]


async def test_without_a_kind_or_window_every_kind_of_the_last_30_days(om):
    response = await report(om, ALICE, "")
    assert [k.text for k in response.findall("om:kindReport/om:kind", NSMAP)] == [k.value for k in Kind]
    assert response.findtext("om:generatedAt", namespaces=NSMAP) == "2026-06-01T12:00:00Z"
    assert response.findtext("om:from", namespaces=NSMAP) == "2026-05-02T12:00:00Z"
    assert response.find("om:kindReport/om:figures/om:leadTime", NSMAP) is None


async def test_an_empty_window_is_the_cores_error(om):
    with pytest.raises(IllegalArgument, match="from must lie before to"):
        await report(om, ALICE, "<from>2026-06-01T00:00:00Z</from><to>2026-06-01T00:00:00Z</to>")
    with pytest.raises(IllegalAttributeValue, match="from"):
        await report(om, ALICE, "<from>1800-06-01T00:00:00Z</from>")
