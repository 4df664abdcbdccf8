"""Report provisioning (eTOM's resource activator; every activator's track and manage).

``ReportProvisioning.execute`` answers a ``ProvisioningReportRequest``: the
figures of ``core.domain.report`` for a window of order dates, computed by
the store where the orders are (``ProvisioningReportSource``: no order is
loaded), arranged per kind, specification and action.  Admins and fulfillers
see every client's orders; a client sees its own only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from core.domain.errors import IllegalArgument, UnsupportedOperation
from core.domain.model import Caller, ItemAction, Kind
from core.domain.report import Figures, LeadTime, Level, ReportRow, ReportScope
from core.ports import ProvisioningReportSource
from core.usecases.management import OrderManagement

DEFAULT_WINDOW = timedelta(days=30)  # the window ending at ``end`` when no start is given


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ProvisioningReportRequest:
    """Orders of ``kind`` (every kind: None) with an order date in [start, end).  No end: now;
    no start: ``DEFAULT_WINDOW`` before the end."""

    kind: Kind | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class ActionReport:
    action: ItemAction
    figures: Figures


@dataclass(frozen=True, slots=True)
class SpecificationReport:
    specification: str | None  # None: items naming no specification
    figures: Figures
    actions: tuple[ActionReport, ...] = ()  # resource orders only


@dataclass(frozen=True, slots=True)
class KindReport:
    kind: Kind
    figures: Figures
    specifications: tuple[SpecificationReport, ...] = ()


@dataclass(frozen=True, slots=True)
class ProvisioningReport:
    start: datetime
    end: datetime
    generated_at: datetime  # the "now" jeopardy was judged at
    kinds: tuple[KindReport, ...]

    def rows(self) -> Iterator[tuple[Kind, Level, str | None, ItemAction | None, Figures]]:
        """Every row, flat, in report order: a kind, then each specification, then its actions."""
        for k in self.kinds:
            yield k.kind, Level.KIND, None, None, k.figures
            for s in k.specifications:
                yield k.kind, Level.SPECIFICATION, s.specification, None, s.figures
                for a in s.actions:
                    yield k.kind, Level.ACTION, s.specification, a.action, a.figures


def _utc(value: datetime | None) -> datetime | None:
    """A date without a zone is UTC's (as everywhere in the core)."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def _ms(seconds: float) -> float:
    return round(seconds, 3)


def _rounded(figures: Figures) -> Figures:
    """Lead times to the millisecond: every store, and every profile, gives the same figures."""
    lt = figures.lead_time
    if lt is None:
        return figures
    return replace(figures, lead_time=LeadTime(_ms(lt.median), _ms(lt.p90), _ms(lt.max)))


_ACTION_ORDER = {a: i for i, a in enumerate(ItemAction)}


def _spec_key(row: ReportRow) -> tuple[bool, str]:
    return (row.specification is not None, row.specification or "")


def arrange(kinds: tuple[Kind, ...], rows: list[ReportRow]) -> tuple[KindReport, ...]:
    """The store's rows as the report's tree, in a stable order: kinds as asked, specifications
    by id (items naming none first), actions as ``ItemAction`` lists them.  A kind without
    orders in the window has its row of zeros."""
    out = []
    for kind in kinds:
        mine = [r for r in rows if r.kind is kind]
        total = next((r.figures for r in mine if r.level is Level.KIND), Figures())
        specs = []
        for s in sorted((r for r in mine if r.level is Level.SPECIFICATION), key=_spec_key):
            actions = sorted(
                (r for r in mine if r.level is Level.ACTION and r.specification == s.specification),
                key=lambda r: _ACTION_ORDER[r.action] if r.action else -1,
            )
            specs.append(
                SpecificationReport(
                    s.specification,
                    _rounded(s.figures),
                    tuple(ActionReport(a.action, _rounded(a.figures)) for a in actions if a.action),
                )
            )
        out.append(KindReport(kind, _rounded(total), tuple(specs)))
    return tuple(out)


class ReportProvisioning:
    """The provisioning report use case."""

    def __init__(self, source: ProvisioningReportSource, clock: Callable[[], datetime] = _utcnow) -> None:
        self._source = source
        self._now = clock

    async def execute(self, caller: Caller, request: ProvisioningReportRequest) -> ProvisioningReport:
        now = self._now()
        end = _utc(request.end) or now
        start = _utc(request.start) or end - DEFAULT_WINDOW
        if start >= end:
            raise IllegalArgument("the report's window is empty: from must lie before to")
        kinds = (request.kind,) if request.kind is not None else tuple(Kind)
        client = None if caller.sees_all_orders else caller.client_id
        scope = ReportScope(kinds, start, end, now, client)
        rows = await self._source.provisioning_figures(scope)
        return ProvisioningReport(start, end, now, arrange(kinds, rows))


def provisioning_report_of(orders: OrderManagement) -> ReportProvisioning:
    """The report over the orders ``orders`` manages: its store, its clock.

    For the profiles, which are handed the order management alone.
    UnsupportedOperation when that store computes no report."""
    store, clock = orders._uow, orders._now
    if not isinstance(store, ProvisioningReportSource):
        raise UnsupportedOperation("getProvisioningReport: this gateway's store computes no report")
    return ReportProvisioning(store, clock)
