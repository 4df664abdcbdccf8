"""The SOAP endpoint on the gateway's aiohttp app: /soap/OrderManagement.

Threading model: spyne only builds the WSDL, at start-up; each request is
handled on the event loop with lxml, like every other profile.  What lxml
does in C without the GIL -- parsing the envelope, validating the request
against the XSD, serialising the reply -- runs on the loop for ordinary
messages (well under a millisecond) and in a small thread pool once a
message is large (``offload_bytes`` / ``offload_elements``), so a
megabyte-sized envelope never stalls the loop.  The core call itself runs
on the loop, at most ``max_in_flight`` at a time, so SOAP load leaves
database connections to the REST and AMQP profiles of the same process.

An infrastructure failure (the core's ``Unavailable``, or an exception the
predicate under ``INFRASTRUCTURE`` recognises) is a ``Server`` fault whose
detail is ``remoteException``, and is not logged per request: the gateway
logs the outage once (``ordergate.outage``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from aiohttp import web
from lxml import etree

from adapters.identity import Credentials, Unauthenticated, identify_http
from adapters.soap.envelope import SoapRequest, fault_bytes, read_request, response_bytes
from adapters.soap.faults import CLIENT, SERVER, VERSION_MISMATCH, SoapFault, operation_fault, order_fault
from adapters.soap.wsdl import WsdlDocument, request_operations, xsd_root
from adapters.xml import XmlOrderOperations
from adapters.xml.errors import error_kind_of
from adapters.xml.schema import XSD_PATH, violation
from core.domain.errors import IllegalArgument, IllegalAttributeValue, OrderError
from core.domain.model import Caller
from core.usecases import OrderManagement

log = logging.getLogger(__name__)

PATH = "/soap/OrderManagement"
# set by the composition root: does this exception mean the database (or broker) is unavailable?
INFRASTRUCTURE: web.AppKey[Callable[[BaseException], bool]] = web.AppKey("soap_infrastructure_failure")
UNAVAILABLE = "the gateway cannot reach its database or broker now: retry later"
T = TypeVar("T")
_XML_TYPES = ("text/xml", "application/xml")
_SOAP12_TYPE = "application/soap+xml"
_count_elements = etree.XPath("count(descendant::*)")
_thread_schemas = threading.local()
# told what each request was and how it ended (operation, outcome: ok or the error kind)
Note = Callable[[web.Request, str, str], None]


def _unnoted(_request: web.Request, _operation: str, _outcome: str) -> None:
    pass


def fault_outcome(fault: SoapFault) -> tuple[str, str]:
    """The operation and error kind of a fault (an envelope's fault has no operation: ``other``)."""
    if fault.detail is None:
        return "other", "refused" if fault.code != SERVER else "internal"
    return etree.QName(fault.detail).localname.removesuffix("Exception"), error_kind_of(fault.detail)


def _validate(element: etree._Element) -> None:
    """The request against the XSD: a refused value is an illegal attribute value, the rest illegal input.

    Each thread compiles its own schema: a validator's error log is not safe
    to share between threads, and the pool validates beside the loop.
    """
    schema = getattr(_thread_schemas, "schema", None)
    if schema is None:
        schema = _thread_schemas.schema = etree.XMLSchema(etree.parse(str(XSD_PATH)))
    if not schema.validate(element):
        rejected = violation(schema.error_log)
        if rejected.attribute:
            raise IllegalAttributeValue(rejected.attribute, str(rejected))
        raise IllegalArgument(str(rejected))


def _media_type_fault(content_type: str) -> SoapFault | None:
    if content_type == _SOAP12_TYPE:
        return SoapFault(VERSION_MISMATCH, f"only SOAP 1.1 is served: send text/xml, not {_SOAP12_TYPE}")
    if content_type not in _XML_TYPES:
        return SoapFault(CLIENT, f"a SOAP 1.1 request is sent as text/xml, not {content_type or 'nothing'}")
    return None


def _action_fault(header: str | None, operation: str) -> SoapFault | None:
    action = (header or "").strip().strip('"')
    if action and action != operation:
        return SoapFault(CLIENT, f"SOAPAction {action!r} does not match the {operation}Request element")
    return None


def _xml_response(body: bytes, status: int) -> web.Response:
    return web.Response(body=body, status=status, content_type="text/xml", charset="utf-8")


def _unavailable(request: web.Request, error: Exception) -> bool:
    infrastructure = request.config_dict.get(INFRASTRUCTURE)
    return infrastructure is not None and infrastructure(error)


class SoapEndpoint:
    def __init__(
        self,
        orders: OrderManagement,
        credentials: Credentials | None,
        *,
        max_body_bytes: int,
        max_in_flight: int = 8,
        offload_bytes: int = 16 * 1024,
        offload_elements: int = 1000,
        decode_threads: int = 2,
        note: Note = _unnoted,
    ) -> None:
        self._operations = XmlOrderOperations(orders)
        schema = xsd_root()
        names = request_operations(schema)
        if sorted(names) != self._operations.operations:
            raise RuntimeError("the XSD's request elements and the XML operations disagree")
        self.operations = frozenset(names)
        self._wsdl = WsdlDocument(names, schema)
        self._credentials = credentials
        self._max_body = max_body_bytes
        self._admission = asyncio.Semaphore(max_in_flight)
        self._offload_bytes = offload_bytes
        self._offload_elements = offload_elements
        self._pool = ThreadPoolExecutor(decode_threads, thread_name_prefix="soap-lxml")
        self._note = note

    async def close(self, _app: web.Application | None = None) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _lxml(self, heavy: bool, work: Callable[..., T], *args: object) -> T:
        if not heavy:
            return work(*args)
        return await asyncio.get_running_loop().run_in_executor(self._pool, work, *args)

    # ------------------------------------------------------------ GET ?wsdl

    async def wsdl(self, request: web.Request) -> web.Response:
        if "wsdl" not in {k.lower() for k in request.query}:
            raise web.HTTPBadRequest(text=f"POST SOAP 1.1 envelopes here; the WSDL is at {PATH}?wsdl")
        address = str(request.url.with_query(None).with_fragment(None))
        return _xml_response(self._wsdl.for_address(address), 200)

    # ------------------------------------------------------------ POST

    async def post(self, request: web.Request) -> web.Response:
        try:
            body = await self._read_body(request)
            fault = _media_type_fault(request.content_type)
            if fault is not None:
                raise fault
            heavy = len(body) >= self._offload_bytes
            soap = await self._lxml(heavy, read_request, body, self._max_body, self.operations)
            fault = _action_fault(request.headers.get("SOAPAction"), soap.operation)
            if fault is not None:
                raise fault
            response = await self._serve(request, soap, heavy)
            heavy = _count_elements(response) >= self._offload_elements
            self._note(request, soap.operation, "ok")
            return _xml_response(await self._lxml(heavy, response_bytes, response), 200)
        except SoapFault as fault:
            self._note(request, *fault_outcome(fault))
            # WS-I Basic Profile R1126: a Fault travels with HTTP 500
            return _xml_response(fault_bytes(fault), 500)
        except ConnectionError:
            raise  # the client went away: nobody to answer
        except Exception as e:
            if _unavailable(request, e):
                self._note(request, "other", "remote")
                return _xml_response(fault_bytes(SoapFault(SERVER, UNAVAILABLE)), 500)
            log.exception("SOAP request failed outside any operation")
            return _xml_response(
                fault_bytes(SoapFault(SERVER, "the gateway failed to handle the request")), 500
            )

    async def _read_body(self, request: web.Request) -> bytes:
        declared = request.content_length
        if declared is not None and declared > self._max_body:
            raise SoapFault(CLIENT, f"a body of {declared} bytes exceeds the limit of {self._max_body}")
        data = bytearray()
        async for chunk in request.content.iter_any():
            data += chunk
            if len(data) > self._max_body:
                raise SoapFault(CLIENT, f"the body exceeds the limit of {self._max_body} bytes")
        return bytes(data)

    async def _caller(self, request: web.Request, operation: str) -> Caller:
        try:
            authorization = request.headers.get("Authorization")
            return await identify_http(self._credentials, authorization, request.remote)
        except Unauthenticated as e:
            raise operation_fault(operation, "unauthenticated", str(e)) from None
        except OrderError as e:  # a token granting no role; the identity provider's keys out of reach
            raise order_fault(operation, e) from None

    async def _serve(self, request: web.Request, soap: SoapRequest, heavy: bool) -> etree._Element:
        operation = soap.operation
        caller = await self._caller(request, operation)
        try:
            await self._lxml(heavy, _validate, soap.element)
            async with self._admission:
                (response,) = await self._operations.execute(caller, soap.element)
        except OrderError as e:
            if e.kind == "remote":
                _unavailable(request, e)  # the composition root notes the outage
            raise order_fault(operation, e) from None
        except Exception as e:
            if _unavailable(request, e):
                raise operation_fault(operation, "remote", UNAVAILABLE) from None
            log.exception("SOAP %s failed", operation)
            raise operation_fault(
                operation, "unexpected", "the gateway failed to complete the operation"
            ) from None
        return response


def setup_soap(
    app: web.Application,
    orders: OrderManagement,
    credentials: Credentials | None,
    max_body_bytes: int,
    note: Note = _unnoted,
    **tuning: int,
) -> SoapEndpoint:
    """Serve the SOAP profile on ``app``: POST envelopes and GET ``?wsdl`` at ``PATH``; ``note`` is
    told each request's operation and outcome (metrics)."""
    endpoint = SoapEndpoint(orders, credentials, max_body_bytes=max_body_bytes, note=note, **tuning)
    app.router.add_get(PATH, endpoint.wsdl)
    app.router.add_post(PATH, endpoint.post)
    app.on_cleanup.append(endpoint.close)
    return endpoint
