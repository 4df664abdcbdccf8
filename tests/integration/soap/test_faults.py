"""Every fault kind, as zeep raises it: Client or Server, with the <op>Exception detail."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import xmlschema
from lxml import etree
from zeep.exceptions import Fault

from adapters.xml import NS
from adapters.xml.schema import XSD_PATH
from tests.integration.soap.values import key, service_value
from tests.soap_gateway import SoapGateway, running_gateway

# nothing listens on port 1: every unit of work fails to connect
UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/ordergate"
INDEPENDENT = xmlschema.XMLSchema(str(XSD_PATH))


async def fault(soap: SoapGateway, actor: str, operation: str, **kwargs: object) -> dict[str, str]:
    """The fault an operation raises: its code, the exception element and the core error kind."""
    with pytest.raises(Fault) as info:
        await soap.call(actor, operation, **kwargs)
    (exception,) = info.value.detail
    INDEPENDENT.validate(etree.tostring(exception))
    assert etree.QName(exception).text == f"{{{NS}}}{operation}Exception"
    (detail,) = exception
    return {
        "faultcode": info.value.code,
        "element": etree.QName(detail).localname,
        "kind": detail.findtext(f"{{{NS}}}code") or "",
        "message": info.value.message,
        "attribute": detail.findtext(f"{{{NS}}}attribute") or "",
    }


async def created(soap: SoapGateway, **fields: object) -> str:
    value = service_value(**fields)
    return str(
        (
            await soap.call("alice", "createOrderByValue", serviceOrderValue=value)
        ).serviceOrderValue.key.primaryKey
    )


async def version_of(soap: SoapGateway, order_id: str) -> int:
    return int((await soap.call("alice", "getOrderByKey", key=key(order_id))).serviceOrderValue.version)


async def test_illegal_state_objects_not_found_and_stale_versions_are_told_apart(soap):
    order_id = await created(soap)
    state = await fault(soap, "alice", "resumeOrderByKey", key=key(order_id))
    assert (state["faultcode"], state["element"], state["kind"]) == (
        "soap:Client",
        "illegalStateException",
        "illegalState",
    )
    unknown = await fault(soap, "alice", "startOrderByKey", key=key("no-such-order"))
    assert (unknown["element"], unknown["kind"]) == ("objectNotFoundException", "objectNotFound")
    theirs = await fault(soap, "bob", "getOrderByKey", key=key(order_id))
    assert theirs["kind"] == "objectNotFound"
    stale = await fault(soap, "alice", "startOrderByKey", key=key(order_id), version=7)
    assert (stale["faultcode"], stale["element"], stale["kind"]) == (
        "soap:Client",
        "resyncRequiredException",
        "resyncRequired",
    )
    assert await version_of(soap, order_id) == 1


async def test_duplicate_client_supplied_keys(soap):
    await created(soap, key=key("my-key-1"))
    duplicate = await fault(
        soap, "alice", "createOrderByValue", serviceOrderValue=service_value(key=key("my-key-1"))
    )
    assert (duplicate["faultcode"], duplicate["element"]) == ("soap:Client", "duplicateKeyException")


async def test_illegal_arguments_and_attribute_values(soap):
    order_id = await created(soap)
    keyless = await fault(soap, "alice", "setOrderByValue", serviceOrderValue={"description": "x"})
    assert (keyless["faultcode"], keyless["element"], keyless["kind"]) == (
        "soap:Client",
        "illegalArgumentException",
        "illegalArgument",
    )
    invalid = await fault(soap, "alice", "createOrderByValue", serviceOrderValue=service_value(priority=9))
    assert (invalid["kind"], invalid["attribute"]) == ("illegalAttributeValue", "priority")
    assert "ordermanagement schema" in invalid["message"]
    await soap.call("alice", "startOrderByKey", key=key(order_id))
    item = await fault(
        soap, "noc", "changeOrderItemState", key=key(order_id), itemId="99", state="closed.completed"
    )
    assert (item["element"], item["kind"], item["attribute"]) == (
        "illegalAttributeValueException",
        "illegalAttributeValue",
        "itemId",
    )
    assert await version_of(soap, order_id) == 2


async def test_roles_are_checked_by_the_core(soap):
    order_id = await created(soap)
    denied = await fault(soap, "noc", "removeOrderByKey", key=key(order_id))
    assert (denied["faultcode"], denied["element"], denied["kind"]) == (
        "soap:Client",
        "illegalArgumentException",
        "permissionDenied",
    )
    assert await version_of(soap, order_id) == 1


async def test_unauthenticated_callers_get_a_client_fault(soap):
    for authorization in (None, "Bearer not-a-key", "Basic YWxpY2U6c2VjcmV0"):
        client = await soap.client(None, authorization)
        with pytest.raises(Fault) as info:
            await asyncio.to_thread(client.service.getOrderTypes)
        assert info.value.code == "soap:Client"
        (exception,) = info.value.detail
        assert exception.findtext(f"{{{NS}}}illegalArgumentException/{{{NS}}}code") == "unauthenticated"


async def test_an_unreachable_database_is_a_server_fault(tmp_path: Path):
    async with running_gateway(UNREACHABLE, tmp_path, fresh=False) as soap:
        remote = await fault(soap, "alice", "getOrderByKey", key=key("any"))
    assert (remote["faultcode"], remote["element"], remote["kind"]) == (
        "soap:Server",
        "remoteException",
        "remote",
    )
