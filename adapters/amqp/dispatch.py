"""One request message in, its replies out: the profile's translation to the core.

Transport-neutral on purpose (no aio-pika here): the listener decides what
happens to the delivery from the outcome --

* a ``Reply`` (``<op>Response`` pages, or one ``<op>Exception``) is published
  to ``reply_to`` and the request acknowledged;
* ``Unanswerable`` goes to the dead-letter queue with its reason (among
  them a ``reply_to`` naming a queue the requester does not own, see
  ``reply_queue``);
* ``core.domain.errors.Unavailable`` (the database is down) goes back to the
  queue after a backoff, unanswered.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from adapters.amqp.config import AmqpSettings, ReplyLimits
from adapters.amqp.headers import MESSAGE_NAME, REQUEST_SENDER_ID, MessageType, header_text
from adapters.amqp.query_replies import ReplyMessage, query_replies
from adapters.amqp.reply_queue import refusal
from adapters.identity import LOCAL_ADMIN, Credentials, Unauthenticated
from adapters.xml import (
    XmlOrderOperations,
    XmlRejected,
    error_element,
    error_kind_of,
    exception_element,
    operation_of,
    parse_message,
    validate,
)
from core.domain.errors import IllegalArgument, OrderError, Unavailable
from core.domain.model import Caller
from core.usecases.correlation import REQUEST_ID
from core.usecases.idempotency import REQUEST_HASH, REQUEST_KEY, KeyReused, request_hash

log = logging.getLogger(__name__)

_KEY_LIMIT = 500  # the request log's key column holds 512
# told of each request: its operation, outcome (ok, the error kind, deadLettered) and seconds (metrics)
RequestObserver = Callable[[str, str, float], None]


def _unobserved(_operation: str, _outcome: str, _seconds: float) -> None:
    pass


_FIRST_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s/>]")


def _first_tag(body: bytes) -> str | None:
    """The local name of the first element tag, read without parsing (declarations skipped)."""
    match = _FIRST_TAG.search(body[:1024])
    return match.group(1).decode("ascii") if match else None


class Unanswerable(Exception):
    """The request cannot be answered within the vocabulary: it goes to the dead-letter queue."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IncomingRequest:
    body: bytes
    message_id: str | None = None
    correlation_id: str | None = None
    reply_to: str | None = None
    user_id: str | None = None
    headers: Mapping[str, Any] = field(default_factory=dict)

    @property
    def sender_id(self) -> str | None:
        return header_text(self.headers, REQUEST_SENDER_ID)


@dataclass(frozen=True)
class Reply:
    message_type: MessageType
    messages: list[ReplyMessage]
    operation: str = "other"
    outcome: str = "ok"  # or the error kind of the exception replied

    @property
    def elements(self) -> list[etree._Element]:
        """The replies parsed again, for tests and tools."""
        return [etree.fromstring(m.body) for m in self.messages]


def exception_of(operation: str, error: Exception) -> etree._Element:
    """The profile's one error table: every failure a requester may see, as ``<op>Exception``."""
    if isinstance(error, OrderError):
        return error_element(operation, error)
    if isinstance(error, XmlRejected):
        # a value the schema refused (a bad date, state, priority) is an illegal attribute
        # value, as the core says for the same mistake; anything else is malformed input
        kind = "illegalAttributeValue" if error.attribute else "illegalArgument"
        return exception_element(operation, kind, str(error), error.attribute)
    if isinstance(error, Unauthenticated):
        return exception_element(operation, "unauthenticated", str(error))
    return exception_element(operation, "remote", f"internal error while executing {operation}")


_OWN_QUEUES = (AmqpSettings.requests_queue, AmqpSettings.dead_letter_queue)


class RequestDispatcher:
    def __init__(
        self,
        operations: XmlOrderOperations,
        credentials: Credentials | None,
        max_message_bytes: int,
        retry_pause_seconds: float = 0.2,
        *,
        limits: ReplyLimits | None = None,
        own_queues: Collection[str] = _OWN_QUEUES,
        observe: RequestObserver = _unobserved,
    ) -> None:
        self._operations = operations
        self._known = frozenset(operations.operations)
        self._credentials = credentials
        self._max_bytes = max_message_bytes
        self._retry_pause = retry_pause_seconds
        self._limits = limits or ReplyLimits()
        self._own_queues = frozenset(own_queues)
        self.observe = observe

    def configured(self, settings: AmqpSettings) -> RequestDispatcher:
        """This dispatcher with the settings' reply limits and queue names (the listener's)."""
        return RequestDispatcher(
            self._operations,
            self._credentials,
            self._max_bytes,
            self._retry_pause,
            limits=settings.reply_limits,
            own_queues=(settings.requests_queue, settings.dead_letter_queue),
            observe=self.observe,
        )

    async def answer(self, request: IncomingRequest) -> Reply:
        """The reply to one request; Unanswerable or Unavailable when there is none to give.

        The log lines written meanwhile name the request (its correlation id)."""
        token, started = REQUEST_ID.set(request.correlation_id or request.message_id), time.perf_counter()
        try:
            reply = await self._answer(request)
        except (Unanswerable, Unavailable) as error:
            outcome = "deadLettered" if isinstance(error, Unanswerable) else "remote"
            self.observe(self._hinted_operation(request) or "other", outcome, time.perf_counter() - started)
            raise
        finally:
            REQUEST_ID.reset(token)
        self.observe(reply.operation, reply.outcome, time.perf_counter() - started)
        return reply

    async def _answer(self, request: IncomingRequest) -> Reply:
        if not request.reply_to:
            raise Unanswerable("the request has no reply_to: its result could never be delivered")
        if not (request.message_id or request.correlation_id):
            raise Unanswerable("the request has neither message_id nor correlation_id")
        self._check_reply_to(request.reply_to, request.user_id)
        operation = self._hinted_operation(request)
        try:
            root = parse_message(request.body, self._max_bytes)
            operation = self._operation(etree.QName(root).localname)
            if operation is None:
                raise Unanswerable(f"{etree.QName(root).localname} is not a request of the vocabulary")
            operation_of(root)  # the namespace
            validate(root)
            caller = self._caller(request.user_id)
            messages = await self._execute(caller, root, request, operation)
        except (Unavailable, Unanswerable):
            raise
        except Exception as error:
            if operation is None:
                raise Unanswerable(str(error)) from error
            if not isinstance(error, XmlRejected | OrderError | Unauthenticated):
                log.error("request %s (%s) failed", request.message_id, operation, exc_info=error)
            return _exception(operation, error)
        return Reply(MessageType.RESPONSE, messages, operation)

    def _check_reply_to(self, reply_to: str, user_id: str | None) -> None:
        """Before anything runs: a reply goes only to a queue the requester owns (the broker
        checked ``user_id``; the prefix is that user's, from the credentials file)."""
        prefix = None if self._credentials is None else self._credentials.reply_queue_prefix(user_id)
        reason = refusal(reply_to, prefix, self._own_queues)
        if reason is not None:
            raise Unanswerable(reason)

    def unavailable(self, request: IncomingRequest, error: Unavailable) -> Reply:
        """The ``<op>Exception`` (remote) for a request that can no longer wait for the database."""
        operation = self._hinted_operation(request)
        if operation is None:
            raise Unanswerable(f"the database is unavailable: {error}")
        return _exception(operation, error)

    def _hinted_operation(self, request: IncomingRequest) -> str | None:
        """The operation as the OSS_MESSAGE_NAME header (else the first tag) names it, before the
        body is parsed: an unparseable request still gets its <op>Exception."""
        return self._operation(header_text(request.headers, MESSAGE_NAME)) or self._operation(
            _first_tag(request.body)
        )

    def _operation(self, message_name: str | None) -> str | None:
        if not message_name or not message_name.endswith("Request"):
            return None
        operation = message_name.removesuffix("Request")
        return operation if operation in self._known else None

    def _caller(self, user_id: str | None) -> Caller:
        # Without a credentials file the broker's own authentication is the only
        # gate: every connected user acts as the local admin.
        if self._credentials is None:
            return LOCAL_ADMIN
        if not user_id:
            raise Unauthenticated("the user_id message property is required")
        caller = self._credentials.caller_for_amqp_user(user_id)
        if caller is None:
            raise Unauthenticated(f"broker user {user_id!r} is not a known client")
        return caller

    @staticmethod
    def _request_key(caller: Caller, request: IncomingRequest) -> str:
        """Who sent which message: a redelivery (or a resend) of it maps to the same key."""
        parts = (caller.client_id, request.user_id or "", request.sender_id or "")
        key = f"amqp:{'|'.join(parts)}:{request.message_id or request.correlation_id}"
        if len(key) > _KEY_LIMIT:
            key = "amqp:sha256:" + hashlib.sha256(key.encode()).hexdigest()
        return key

    async def _execute(
        self, caller: Caller, root: etree._Element, request: IncomingRequest, operation: str
    ) -> list[ReplyMessage]:
        """Run the request with its key and its digest set: a redelivery is answered from the
        request log, and another request under the same key is refused."""
        token = REQUEST_KEY.set(self._request_key(caller, request))
        digest = REQUEST_HASH.set(request_hash(operation, caller.client_id, request.body))
        try:
            return await self._run(caller, root)
        except KeyReused:
            raise IllegalArgument(
                f"message_id {request.message_id or request.correlation_id!r} was used for another"
                " request (another operation or body): send each request with a message_id of its own"
            ) from None
        finally:
            REQUEST_HASH.reset(digest)
            REQUEST_KEY.reset(token)

    async def _run(self, caller: Caller, root: etree._Element) -> list[ReplyMessage]:
        try:
            return await self._replies(caller, root)
        except OrderError:
            raise
        except Exception:
            # A redelivered request racing its first delivery loses on the
            # request log's key; once the winner committed, running again
            # answers the recorded result.  Anything else fails twice.
            log.warning("request failed unexpectedly; running it once more", exc_info=True)
            await asyncio.sleep(self._retry_pause)
            return await self._replies(caller, root)

    async def _replies(self, caller: Caller, root: etree._Element) -> list[ReplyMessage]:
        """The response(s), serialized: a query's pages within the reply limits."""
        if etree.QName(root).localname == "queryOrdersRequest":
            return await query_replies(root, self._operations.query_pages(caller, root), self._limits)
        return [ReplyMessage.of(e) for e in await self._operations.execute(caller, root)]


def _exception(operation: str, error: Exception) -> Reply:
    element = exception_of(operation, error)
    return Reply(MessageType.EXCEPTION, [ReplyMessage.of(element)], operation, error_kind_of(element))
