"""``GET /tmf-api/ordergate/v1/report/provisioning``: the provisioning report (extension).

``?kind=&from=&to=`` (each optional: every kind, the 30 days before ``to``,
now) makes one call of the core's ``ReportProvisioning``; the report is
JSON, or CSV when the ``Accept`` header prefers ``text/csv`` (one row per
kind, specification and, for resource orders, specification and action,
after a header line).  Who sees what is the core's rule.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from aiohttp import web

from adapters.rest.auth import CALLER
from adapters.rest.resources import only_parameters
from core.document.parse import parse_date
from core.document.render import iso
from core.domain.model import Kind
from core.domain.report import Figures
from core.usecases import OrderManagement
from core.usecases.reporting import ProvisioningReport, ProvisioningReportRequest, provisioning_report_of

PATH = "/tmf-api/ordergate/v1/report/provisioning"
CSV_COLUMNS = (
    "level",
    "kind",
    "specification",
    "action",
    "ordered",
    "completed",
    "failed",
    "cancelled",
    "open",
    "inJeopardy",
    "leadTimeMedianSeconds",
    "leadTimeP90Seconds",
    "leadTimeMaxSeconds",
)
# A cell a spreadsheet would take for a formula (a client's specification id may be anything)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def figures_to_json(figures: Figures) -> dict[str, Any]:
    lead = figures.lead_time
    return {
        "ordered": figures.ordered,
        "completed": figures.completed,
        "failed": figures.failed,
        "cancelled": figures.cancelled,
        "open": figures.open,
        "inJeopardy": figures.in_jeopardy,
        "leadTime": None if lead is None else {"median": lead.median, "p90": lead.p90, "max": lead.max},
    }


def report_to_json(report: ProvisioningReport) -> dict[str, Any]:
    kinds = []
    for k in report.kinds:
        specs = []
        for s in k.specifications:
            spec: dict[str, Any] = {"specification": s.specification, **figures_to_json(s.figures)}
            if k.kind is Kind.RESOURCE:
                spec["actions"] = [
                    {"action": a.action.value, **figures_to_json(a.figures)} for a in s.actions
                ]
            specs.append(spec)
        kinds.append({"kind": k.kind.value, **figures_to_json(k.figures), "specifications": specs})
    return {
        "from": iso(report.start),
        "to": iso(report.end),
        "generatedAt": iso(report.generated_at),
        "kinds": kinds,
        "@type": "ProvisioningReport",
    }


def _cell(text: str | None) -> str:
    if text is None:
        return ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def report_to_csv(report: ProvisioningReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for kind, level, spec, action, f in report.rows():
        lead = f.lead_time
        times = ["", "", ""] if lead is None else [f"{v:.3f}" for v in (lead.median, lead.p90, lead.max)]
        counts = [f.ordered, f.completed, f.failed, f.cancelled, f.open, f.in_jeopardy]
        writer.writerow(
            [level.value, kind.value, _cell(spec), action.value if action else "", *counts, *times]
        )
    return out.getvalue()


def _quality(params: list[str]) -> float:
    for p in params:
        name, _, value = p.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value)
            except ValueError:
                return 0.0
    return 1.0


def prefers_csv(accept: str | None) -> bool:
    """Does the Accept header prefer ``text/csv`` to JSON (a specific range beating a wildcard)?"""
    ranges: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *params = part.split(";")
        media = media.strip().lower()
        if media:
            ranges[media] = max(ranges.get(media, 0.0), _quality(params))

    def weight(*candidates: str) -> tuple[float, int]:
        for specificity, media in enumerate(candidates):
            if media in ranges:
                return ranges[media], -specificity
        return 0.0, -len(candidates)

    csv_weight = weight("text/csv", "text/*", "*/*")
    json_weight = weight("application/json", "application/*", "*/*")
    return csv_weight[0] > 0 and csv_weight > json_weight


class ProvisioningReportResource:
    def __init__(self, orders: OrderManagement) -> None:
        self.orders = orders

    def routes(self) -> list[web.RouteDef]:
        return [web.get(PATH, self.report)]

    async def report(self, request: web.Request) -> web.Response:
        only_parameters(request, ("kind", "from", "to"))
        kind = request.query.get("kind")
        wanted = ProvisioningReportRequest(
            Kind.parse(kind) if kind is not None else None,
            parse_date(request.query.get("from"), "from"),
            parse_date(request.query.get("to"), "to"),
        )
        report = await provisioning_report_of(self.orders).execute(request[CALLER], wanted)
        headers = {"Vary": "Accept"}
        if prefers_csv(request.headers.get("Accept")):
            headers["Content-Disposition"] = 'inline; filename="provisioning-report.csv"'
            return web.Response(text=report_to_csv(report), content_type="text/csv", headers=headers)
        return web.json_response(report_to_json(report), headers=headers)
