"""The AMQP profile's translation of one request message, on the in-memory store (no broker)."""

from __future__ import annotations

import pytest
import xmlschema
from lxml import etree

from adapters.amqp.dispatch import IncomingRequest, RequestDispatcher, Unanswerable
from adapters.amqp.headers import MessageType
from adapters.identity import Credentials
from adapters.memory import MemoryOrderStore
from adapters.xml import NS, XmlOrderOperations
from adapters.xml.schema import XSD_PATH
from core.domain.errors import Unavailable
from core.usecases import OrderManagement
from core.usecases.correlation import REQUEST_ID

INDEPENDENT = xmlschema.XMLSchema(str(XSD_PATH))
VALUE = (
    "<serviceOrderValue><items><item><id>1</id><action>add</action>"
    "<entity><specification><id>fibre</id></specification></entity></item></items></serviceOrderValue>"
)


def body(operation: str, inner: str = "") -> bytes:
    return f'<{operation}Request xmlns="{NS}">{inner}</{operation}Request>'.encode()


def incoming(data: bytes, **properties: object) -> IncomingRequest:
    return IncomingRequest(**{"body": data, "message_id": "m-1", "reply_to": "amq.gen-replies", **properties})  # type: ignore[arg-type]


@pytest.fixture
def store() -> MemoryOrderStore:
    return MemoryOrderStore()


def dispatcher(store: object, credentials: Credentials | None = None, limit: int = 4096) -> RequestDispatcher:
    return RequestDispatcher(XmlOrderOperations(OrderManagement(store)), credentials, limit)  # type: ignore[arg-type]


def detail(element: etree._Element) -> tuple[str, str | None]:
    INDEPENDENT.validate(etree.tostring(element))
    first = element[0]
    return etree.QName(first).localname, first.findtext(f"{{{NS}}}code")


async def test_a_request_is_answered_with_its_response(store):
    reply = await dispatcher(store).answer(incoming(body("createOrderByValue", VALUE)))
    assert reply.message_type is MessageType.RESPONSE
    (response,) = reply.elements
    INDEPENDENT.validate(etree.tostring(response))
    assert len(store.documents) == 1


async def test_the_same_message_from_the_same_sender_runs_once(store):
    gateway = dispatcher(store)
    request = incoming(body("createOrderByValue", VALUE), headers={"OSS_REQUEST_SENDER_ID": "crm"})
    first = await gateway.answer(request)
    again = await gateway.answer(request)
    assert etree.tostring(first.elements[0]) == etree.tostring(again.elements[0])
    assert len(store.documents) == 1
    await gateway.answer(incoming(request.body, headers={"OSS_REQUEST_SENDER_ID": "billing"}))
    assert len(store.documents) == 2


@pytest.mark.parametrize(
    ("data", "headers", "expected"),
    [
        (b"<createOrderByValueRequest>", {"OSS_MESSAGE_NAME": "createOrderByValueRequest"}, "malformed"),
        (b"<!DOCTYPE x []><createOrderByValueRequest/>", {}, "DOCTYPE"),
        (body("createOrderByValue", "<serviceOrderValue><bogus/></serviceOrderValue>"), {}, "not valid"),
        (body("createOrderByValue", "x" * 5000), {}, "exceeds"),
    ],
)
async def test_bad_input_that_names_its_operation_gets_an_exception(store, data, headers, expected):
    reply = await dispatcher(store).answer(incoming(data, headers=headers))
    assert reply.message_type is MessageType.EXCEPTION
    (element,) = reply.elements
    assert etree.QName(element).localname == "createOrderByValueException"
    assert detail(element) == ("illegalArgumentException", "illegalArgument")
    assert expected in (element[0].findtext(f"{{{NS}}}message") or "")
    assert store.documents == {}


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (incoming(body("getEventTypes"), reply_to=None), "no reply_to"),
        (incoming(body("getEventTypes"), message_id=None), "neither message_id nor correlation_id"),
        (incoming(b"<<<"), "malformed"),
        (incoming(body("fly")), "flyRequest is not a request"),
    ],
)
async def test_what_cannot_be_answered_is_unanswerable(store, request_, reason):
    with pytest.raises(Unanswerable, match=reason):
        await dispatcher(store).answer(request_)


async def test_the_broker_user_is_the_caller_through_the_credentials(store, tmp_path):
    path = tmp_path / "credentials.json"
    path.write_text('{"clients": [{"clientId": "acme", "roles": ["client"], "amqpUser": "acme-broker"}]}')
    gateway = dispatcher(store, Credentials.load(path))
    reply = await gateway.answer(incoming(body("createOrderByValue", VALUE), user_id="acme-broker"))
    assert reply.elements[0].findtext(f".//{{{NS}}}clientId") == "acme"
    for user in (None, "stranger"):
        refused = await gateway.answer(
            incoming(body("createOrderByValue", VALUE), user_id=user, message_id=str(user))
        )
        assert detail(refused.elements[0]) == ("illegalArgumentException", "unauthenticated")
    assert len(store.documents) == 1


async def test_an_unavailable_database_is_not_answered():
    class DownStore(MemoryOrderStore):
        def __call__(self):  # type: ignore[override]
            raise Unavailable("database unavailable: connection refused")

    with pytest.raises(Unavailable):
        await dispatcher(DownStore()).answer(incoming(body("createOrderByValue", VALUE)))


async def test_an_unexpected_failure_is_run_once_more_then_answered_as_remote(store):
    calls = []

    class Flaky(XmlOrderOperations):
        async def execute(self, caller, request, *, all_pages=False):  # type: ignore[override]
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("lost a race on the request log")
            return await super().execute(caller, request, all_pages=all_pages)

    class Broken(XmlOrderOperations):
        async def execute(self, caller, request, *, all_pages=False):  # type: ignore[override]
            raise RuntimeError("a bug")

    flaky = RequestDispatcher(Flaky(OrderManagement(store)), None, 4096, retry_pause_seconds=0)
    assert (
        await flaky.answer(incoming(body("createOrderByValue", VALUE)))
    ).message_type is MessageType.RESPONSE
    assert len(calls) == 2
    broken = RequestDispatcher(Broken(OrderManagement(store)), None, 4096, retry_pause_seconds=0)
    reply = await broken.answer(incoming(body("createOrderByValue", VALUE)))
    assert detail(reply.elements[0]) == ("remoteException", "remote")


def order_id_of(reply: object) -> str:
    return reply.elements[0].findtext(f".//{{{NS}}}primaryKey") or ""  # type: ignore[attr-defined]


def key_xml(order_id: str) -> str:
    return f"<key><type>serviceOrder</type><primaryKey>{order_id}</primaryKey></key>"


async def test_a_write_reusing_an_earlier_message_id_is_refused_not_answered_from_the_log(store):
    """Issue 13, item 6: a set and a remove sent with a create's message_id were answered with
    the created order while nothing ran."""
    gateway = dispatcher(store)
    created = await gateway.answer(incoming(body("createOrderByValue", VALUE), message_id="m-1"))
    order_id = order_id_of(created)
    change = f"<serviceOrderValue>{key_xml(order_id)}<description>changed</description></serviceOrderValue>"
    for request in (
        incoming(body("setOrderByValue", change), message_id="m-1"),
        incoming(body("removeOrderByKey", key_xml(order_id)), message_id="m-1"),
        incoming(body("createOrderByValue", VALUE.replace("fibre", "copper")), message_id="m-1"),
    ):
        reply = await gateway.answer(request)
        assert reply.message_type is MessageType.EXCEPTION
        assert detail(reply.elements[0]) == ("illegalArgumentException", "illegalArgument")
        message = reply.elements[0][0].findtext(f"{{{NS}}}message") or ""
        assert "message_id 'm-1' was used for another request" in message
    assert list(store.documents) == [order_id]
    assert "description" not in store.documents[order_id]
    # the same request again is still answered from the log, and the key stays usable for it
    again = await gateway.answer(incoming(body("createOrderByValue", VALUE), message_id="m-1"))
    assert etree.tostring(again.elements[0]) == etree.tostring(created.elements[0])


async def test_a_change_reusing_a_changes_message_id_with_another_body_is_refused(store):
    gateway = dispatcher(store)
    order_id = order_id_of(await gateway.answer(incoming(body("createOrderByValue", VALUE))))
    first = f"<serviceOrderValue>{key_xml(order_id)}<description>one</description></serviceOrderValue>"
    second = first.replace(">one<", ">two<")
    done = await gateway.answer(incoming(body("setOrderByValue", first), message_id="set-1"))
    assert done.message_type is MessageType.RESPONSE
    refused = await gateway.answer(incoming(body("setOrderByValue", second), message_id="set-1"))
    assert detail(refused.elements[0]) == ("illegalArgumentException", "illegalArgument")
    assert store.documents[order_id]["description"] == "one"


async def test_message_ids_are_scoped_by_caller(store, tmp_path):
    """Two clients may use the same message_id: each is its own request."""
    path = tmp_path / "credentials.json"
    path.write_text(
        '{"clients": [{"clientId": "acme", "amqpUser": "acme-broker"},'
        ' {"clientId": "zeta", "amqpUser": "zeta-broker"}]}'
    )
    gateway = dispatcher(store, Credentials.load(path))
    for user in ("acme-broker", "zeta-broker"):
        reply = await gateway.answer(incoming(body("createOrderByValue", VALUE), user_id=user))
        assert reply.message_type is MessageType.RESPONSE
    assert sorted(d["clientId"] for d in store.documents.values()) == ["acme", "zeta"]


async def test_a_best_effort_bulk_reusing_a_message_id_with_other_values_is_refused_per_order(store):
    gateway = dispatcher(store)
    values = f"<values>{VALUE}{VALUE}</values>"
    first = await gateway.answer(incoming(body("tryCreateOrdersByValues", values), message_id="bulk-1"))
    assert first.message_type is MessageType.RESPONSE
    assert len(store.documents) == 2
    other = values.replace("fibre", "copper")
    again = await gateway.answer(incoming(body("tryCreateOrdersByValues", other), message_id="bulk-1"))
    INDEPENDENT.validate(etree.tostring(again.elements[0]))
    codes = [e.text for e in again.elements[0].iter(f"{{{NS}}}code")]
    assert codes == ["illegalArgument", "illegalArgument"]
    assert len(store.documents) == 2


async def test_the_request_is_named_in_the_logs_by_its_correlation_id(store):
    seen = []

    class Watching(XmlOrderOperations):
        async def execute(self, caller, request, *, all_pages=False):  # type: ignore[override]
            seen.append(REQUEST_ID.get())
            return await super().execute(caller, request, all_pages=all_pages)

    gateway = RequestDispatcher(Watching(OrderManagement(store)), None, 4096)
    await gateway.answer(incoming(body("getEventTypes"), correlation_id="corr-9"))
    await gateway.answer(incoming(body("getEventTypes"), message_id="m-9"))
    assert seen == ["corr-9", "m-9"]
    assert REQUEST_ID.get() is None
