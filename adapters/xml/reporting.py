"""``getProvisioningReport`` in the XML vocabulary, for both XML profiles (AMQP and SOAP).

The request names an optional kind and window; the response carries the
core's ``ProvisioningReport`` as ``kindReport`` / ``specificationReport`` /
``actionReport`` elements, each with its ``figures`` (lead times in seconds,
to the millisecond, as ``xs:decimal``).  ``XmlOrderOperations`` takes
``op_getProvisioningReport`` from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lxml import etree

from adapters.xml.codec import sub, text_of
from adapters.xml.schema import NS, q
from core.document.parse import parse_date
from core.document.render import iso
from core.domain.model import Caller, Kind
from core.domain.report import Figures
from core.usecases.reporting import ProvisioningReport, ProvisioningReportRequest, provisioning_report_of

if TYPE_CHECKING:
    from adapters.xml.operations import XmlOrderOperations


def report_request(request: etree._Element) -> ProvisioningReportRequest:
    kind = text_of(request, "kind")
    return ProvisioningReportRequest(
        Kind.parse(kind) if kind is not None else None,
        parse_date(text_of(request, "from"), "from"),
        parse_date(text_of(request, "to"), "to"),
    )


def _seconds(value: float) -> str:
    return f"{value:.3f}"


def figures_element(parent: etree._Element, figures: Figures) -> etree._Element:
    el = sub(parent, "figures")
    for name, value in (
        ("ordered", figures.ordered),
        ("completed", figures.completed),
        ("failed", figures.failed),
        ("cancelled", figures.cancelled),
        ("open", figures.open),
        ("inJeopardy", figures.in_jeopardy),
    ):
        sub(el, name, value)
    if (lead := figures.lead_time) is not None:
        lt = sub(el, "leadTime")
        sub(lt, "median", _seconds(lead.median))
        sub(lt, "p90", _seconds(lead.p90))
        sub(lt, "max", _seconds(lead.max))
    return el


def report_element(report: ProvisioningReport) -> etree._Element:
    root = etree.Element(q("getProvisioningReportResponse"), nsmap={None: NS})
    sub(root, "from", iso(report.start))
    sub(root, "to", iso(report.end))
    sub(root, "generatedAt", iso(report.generated_at))
    for k in report.kinds:
        kind = sub(root, "kindReport")
        sub(kind, "kind", k.kind.value)
        figures_element(kind, k.figures)
        for s in k.specifications:
            spec = sub(kind, "specificationReport")
            if s.specification is not None:
                sub(spec, "specification", s.specification)
            figures_element(spec, s.figures)
            for a in s.actions:
                action = sub(spec, "actionReport")
                sub(action, "action", a.action.value)
                figures_element(action, a.figures)
    return root


async def op_getProvisioningReport(
    self: XmlOrderOperations, caller: Caller, request: etree._Element
) -> etree._Element:
    """The provisioning report over the orders the operations' order management manages."""
    report = await provisioning_report_of(self.orders).execute(caller, report_request(request))
    return report_element(report)
