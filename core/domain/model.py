"""The order aggregate and its value types.

Plain Python: an ``Order`` records the events of what happened to it in
``pending_events``; the unit of work hands them to the outbox.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any, overload

from core.document import limits
from core.domain.errors import IllegalAttributeValue, PermissionDenied
from core.domain.events import OrderEvent
from core.domain.states import State


class Kind(StrEnum):
    PRODUCT = "productOrder"
    SERVICE = "serviceOrder"
    RESOURCE = "resourceOrder"
    WORK = "workOrder"

    @property
    def base_type(self) -> str:
        return self.value[0].upper() + self.value[1:]

    @property
    def entity(self) -> str:
        """What an item of this kind acts on: product, service, resource or work."""
        return self.value.removesuffix("Order")

    @classmethod
    def parse(cls, name: str) -> Kind:
        try:
            return cls(name)
        except ValueError:
            raise IllegalAttributeValue("kind", f"unknown order kind {name!r}") from None


class Priority(Enum):
    """Five levels; value = (TMF string, OSS/J integer).  The mapping is lossless."""

    EXPEDITE = ("0", 5)
    HIGH = ("1", 4)
    NORMAL = ("2", 3)
    MEDIUM = ("3", 2)
    LOW = ("4", 1)

    @property
    def tmf(self) -> str:
        return self.value[0]

    @property
    def ossj(self) -> int:
        return self.value[1]

    @classmethod
    def from_tmf(cls, value: str) -> Priority:
        found = _BY_TMF.get(value) if isinstance(value, str) else None
        if found is None:
            raise IllegalAttributeValue("priority", f"{value!r} is not one of '0'..'4'")
        return found

    @classmethod
    def from_ossj(cls, value: int) -> Priority:
        found = _BY_OSSJ.get(value) if type(value) is int else None
        if found is None:
            raise IllegalAttributeValue("priority", f"{value!r} is not one of 1..5")
        return found


_BY_TMF = {p.tmf: p for p in Priority}
_BY_OSSJ = {p.ossj: p for p in Priority}


class Role(StrEnum):
    CLIENT = "client"
    FULFILLER = "fulfiller"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who makes a core call: every call carries one."""

    client_id: str
    roles: frozenset[Role] = frozenset({Role.CLIENT})

    # An id a client chooses lives in the client's own namespace, ``<client id>~<key>``:
    # a client can neither take an id another client would use nor learn that one exists.
    def own_id(self, key: str) -> str:
        """The order id a key this caller chose stands for."""
        prefix = self.client_id + KEY_SEPARATOR
        return key if key.startswith(prefix) else prefix + key

    def ids_for(self, order_id: str) -> tuple[str, ...]:
        """The ids an id this caller names may be, in the order they are tried: as given, then as
        a key of its own (a client may name its orders by the keys it chose)."""
        own = self.own_id(order_id)
        return (order_id,) if own == order_id else (order_id, own)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def sees_all_orders(self) -> bool:
        return bool(self.roles & {Role.ADMIN, Role.FULFILLER})

    def is_client_of(self, order: Order) -> bool:
        """Whether the caller acts as the order's client: its owner with the client role (an
        identity that also fulfils others' orders is their fulfiller, never their client), or
        an admin."""
        return self.is_admin or (Role.CLIENT in self.roles and order.client_id == self.client_id)

    def may_see(self, order: Order) -> bool:
        return self.sees_all_orders or order.client_id == self.client_id

    def require(self, role: Role) -> None:
        if role not in self.roles and not self.is_admin:
            raise PermissionDenied(f"caller {self.client_id!r} lacks the {role.value} role")


KEY_SEPARATOR = "~"


def client_id_problem(client_id: object) -> str | None:
    """Why a client id cannot be one (None: it can): it names orders' owners and namespaces."""
    if not isinstance(client_id, str) or not client_id:
        return "a client id is a non-empty string"
    if len(client_id) > limits.MAX_ID:
        return f"a client id is at most {limits.MAX_ID} characters"
    if KEY_SEPARATOR in client_id or any(c.isspace() or not c.isprintable() for c in client_id):
        return f"a client id holds no {KEY_SEPARATOR!r}, white space or control characters"
    return None


class ItemAction(StrEnum):
    ADD = "add"
    MODIFY = "modify"
    DELETE = "delete"
    NO_CHANGE = "noChange"


# Client data: the attributes the official TMF schema of the order's kind defines beside the
# typed ones, under their TMF names, kept as the client sent them (JSON values).  An object's
# client data is never changed in place: a change replaces it.
ClientData = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SpecificationRef:
    id: str | None = None
    name: str | None = None
    data: ClientData = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Characteristic:
    name: str
    value: Any  # any JSON value
    data: ClientData = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EntityRef:
    """The product, service, resource or work an item acts on."""

    id: str | None = None
    specification: SpecificationRef | None = None
    characteristics: tuple[Characteristic, ...] = ()
    data: ClientData = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ItemRelationship:
    type: str
    item_id: str
    data: ClientData = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OrderRelationship:
    type: str
    order_id: str
    data: ClientData = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RelatedParty:
    id: str
    role: str | None = None
    name: str | None = None
    data: ClientData = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Note:
    text: str
    author: str | None = None
    date: datetime | None = None
    data: ClientData = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ParentRef:
    """The order item an order was created to realize (decomposition)."""

    kind: Kind
    order_id: str
    item_id: str


@dataclass(frozen=True, slots=True)
class ChildRef:
    """A part realizing an item: the order created for it, or None while it waits for the parts
    it depends on."""

    part: str
    kind: Kind
    order_id: str | None = None


@dataclass(frozen=True, slots=True)
class Milestone:
    """A step of the work reported by the fulfiller (TMF641 v4.1 ``milestone``)."""

    id: str
    name: str
    milestone_date: datetime
    status: str | None = None
    description: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class JeopardyAlert:
    """The order is late (TMF641 v4.1 ``jeopardyAlert``): raised once, by the gateway."""

    id: str
    name: str
    alert_date: datetime
    jeopardy_type: str | None = None
    exception: str | None = None
    message: str | None = None


@dataclass(slots=True)
class OrderItem:
    id: str
    action: ItemAction
    entity: EntityRef
    state: State = State.ACKNOWLEDGED
    state_reason: str | None = None
    quantity: int = 1
    relationships: tuple[ItemRelationship, ...] = ()
    point_of_no_return: bool = False
    items: list[OrderItem] = field(default_factory=list)  # items inside this one (TMF nested items)
    children: tuple[ChildRef, ...] = ()  # the parts realizing it (decomposition)
    data: ClientData = field(default_factory=dict)

    def walk(self) -> Iterator[OrderItem]:
        """This item, then every item inside it (depth first, in order)."""
        yield self
        for inner in self.items:
            yield from inner.walk()


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One state change of the order or of one item."""

    at: datetime
    actor: str
    from_state: State | None
    to_state: State
    reason: str | None = None
    item_id: str | None = None
    operation: str | None = None
    changed: tuple[str, ...] = ()  # an attribute change (from_state is to_state): what changed
    requested: datetime | None = None  # a cancel request: the cancellation date the client asked for


StoredEntry = Mapping[str, Any]


class History(Sequence[HistoryEntry]):
    """An order's history: append-only, so what was stored never changes.

    The entries read from storage stay in their stored form until someone reads
    them: a change appends one entry and is stored again without parsing or
    rendering the thousands before it (the cost of a change does not grow with
    the order's age).  ``stored_form`` gives the whole history in that form."""

    __slots__ = ("_added", "_announced", "_parse", "_parsed", "_stored")

    def __init__(
        self,
        entries: Iterable[HistoryEntry] = (),
        *,
        stored: Sequence[StoredEntry] = (),
        parse: Callable[[StoredEntry], HistoryEntry] | None = None,
    ) -> None:
        if stored and parse is None:
            raise ValueError("stored entries need their parser")
        self._stored = list(stored)
        self._parse = parse
        self._parsed: list[HistoryEntry] | None = None if stored else []
        self._added = list(entries)
        self._announced = len(self._stored)  # what was stored was announced when it was added

    def _entries(self) -> list[HistoryEntry]:
        if self._parsed is None:
            assert self._parse is not None
            self._parsed = [self._parse(e) for e in self._stored]
        return self._parsed + self._added if self._added else self._parsed

    def append(self, entry: HistoryEntry) -> None:
        self._added.append(entry)

    def added(self) -> list[HistoryEntry]:
        """The entries appended since the history was read (the change being made)."""
        return list(self._added)

    def amend_added(self, index: int, entry: HistoryEntry) -> None:
        """Replace an entry of the change being made (never a stored one)."""
        self._added[index] = entry

    def unannounced(self) -> list[tuple[int, HistoryEntry]]:
        """The entries appended since the last call, with their positions (each given once)."""
        start, self._announced = self._announced, len(self)
        base = len(self._stored)
        return [(i, self._added[i - base] if i >= base else self[i]) for i in range(start, len(self))]

    def __len__(self) -> int:
        return len(self._stored) + len(self._added)

    @overload
    def __getitem__(self, index: int) -> HistoryEntry: ...
    @overload
    def __getitem__(self, index: slice) -> list[HistoryEntry]: ...
    def __getitem__(self, index: int | slice) -> HistoryEntry | list[HistoryEntry]:
        return self._entries()[index]

    def __iter__(self) -> Iterator[HistoryEntry]:
        return iter(self._entries())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, History | list):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"History({len(self)} entries)"

    def stored_form(self, render: Callable[[HistoryEntry], dict[str, Any]]) -> list[StoredEntry]:
        """Every entry as stored: the stored ones as they were read (shared: read-only), the
        appended ones rendered."""
        return [*self._stored, *(render(e) for e in self._added)]


@dataclass(slots=True)
class Order:
    id: str
    kind: Kind
    client_id: str
    order_type: str
    items: list[OrderItem]
    state: State = State.ACKNOWLEDGED
    state_reason: str | None = None
    version: int = 1
    external_id: str | None = None
    priority: Priority | None = None
    description: str | None = None
    category: str | None = None
    notes: list[Note] = field(default_factory=list)
    related_parties: list[RelatedParty] = field(default_factory=list)
    relationships: list[OrderRelationship] = field(default_factory=list)
    order_date: datetime | None = None
    requested_start_date: datetime | None = None
    requested_completion_date: datetime | None = None
    expected_completion_date: datetime | None = None
    start_date: datetime | None = None
    completion_date: datetime | None = None
    cancellation_date: datetime | None = None
    cancellation_reason: str | None = None
    state_before_cancellation: State | None = None
    history: History = field(default_factory=History)
    parent: ParentRef | None = None
    milestones: list[Milestone] = field(default_factory=list)
    jeopardy_alerts: list[JeopardyAlert] = field(default_factory=list)
    data: ClientData = field(default_factory=dict)
    pending_events: list[OrderEvent] = field(default_factory=list, compare=False, repr=False)

    def all_items(self) -> Iterator[OrderItem]:
        """Every item, the ones inside items too (depth first, in order)."""
        for item in self.items:
            yield from item.walk()

    def item(self, item_id: str) -> OrderItem:
        for it in self.all_items():
            if it.id == item_id:
                return it
        raise IllegalAttributeValue("itemId", f"order {self.id!r} has no item {limits.shown(item_id)}")

    def take_events(self) -> list[OrderEvent]:
        """The events to store with the change, the cancel tasks' among them (every change's
        events leave through here, so no cancel request goes unannounced)."""
        from core.domain.cancel_tasks import announce

        announce(self)
        events, self.pending_events = self.pending_events, []
        return events
