"""The dashboard's HTML, rendered on the server from the figures the page's script also reads.

``templates/dashboard.html`` is the page; the rows and the chart are built
here.  Every figure the script refreshes carries ``data-field`` (its place in
the JSON of ``/dashboard/data``) and ``data-format``; the chart's bars carry
their series and hour, and the SVG the geometry the script scales them with
(``static/dashboard.js``).  Every text from the database is escaped.
"""

from __future__ import annotations

import re
from html import escape
from importlib import resources
from string import Template
from typing import Any

from core.domain.model import Kind

CHART_WIDTH, CHART_HEIGHT, CHART_LEFT, CHART_BOTTOM, CHART_TOP = 720, 200, 36, 22, 12
BASELINE = CHART_HEIGHT - CHART_BOTTOM
PLOT_HEIGHT = BASELINE - CHART_TOP
NOSCRIPT_REFRESH = 30  # seconds between reloads of a page without JavaScript


def _template() -> Template:
    text = resources.files("adapters.operations").joinpath("templates/dashboard.html").read_text("utf-8")
    return Template(text)


def duration(seconds: float | None) -> str:
    """As the script writes it: seconds, minutes, hours or days, one decimal."""
    if seconds is None:
        return "—"
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s"


def shown(value: Any, form: str = "count") -> str:
    if value is None:
        return "—"
    if form == "duration":
        return duration(float(value))
    if form == "time":
        return f"{str(value)[11:19]} UTC"
    if form == "date":
        return str(value)[:16].replace("T", " ")
    return str(value)


def _at(view: dict[str, Any], path: str) -> Any:
    value: Any = view
    for step in path.split("."):
        if value is None:
            return None
        value = value[int(step)] if isinstance(value, list) else value.get(step)
    return value


def cell(view: dict[str, Any], path: str, form: str = "count", tag: str = "td") -> str:
    text = escape(shown(_at(view, path), form))
    return f'<{tag} data-field="{escape(path)}" data-format="{form}">{text}</{tag}>'


def _book_rows(view: dict[str, Any]) -> str:
    rows = []
    for kind in [k.value for k in Kind] + ["all"]:
        cells = [cell(view, f"book.counts.{kind}.{state}") for state in view["book"]["states"]]
        cells += [cell(view, f"book.open.{kind}"), cell(view, f"book.totals.{kind}")]
        name = "all kinds" if kind == "all" else kind
        rows.append(f'<tr data-kind="{kind}"><th scope="row">{name}</th>{"".join(cells)}</tr>')
    return "\n".join(rows)


def _bars(view: dict[str, Any]) -> str:
    activity = view["activity"]
    counts = [v for name in ("created", "completed") for v in activity[name] or []]
    peak = max([1, *counts])
    slot = (CHART_WIDTH - CHART_LEFT) / 24
    width = slot * 0.38
    out = [
        f'<line class="axis" x1="{CHART_LEFT}" y1="{BASELINE}" x2="{CHART_WIDTH}" y2="{BASELINE}"/>',
        f'<text class="peak" x="{CHART_LEFT - 4}" y="{CHART_TOP + 4}" text-anchor="end">{peak}</text>',
    ]
    for i, hour in enumerate(activity["hours"]):
        left = CHART_LEFT + i * slot + slot * 0.1
        for n, series in enumerate(("created", "completed")):
            value = (activity[series] or [0] * 24)[i]
            height = PLOT_HEIGHT * value / peak
            out.append(
                f'<rect class="bar {series}" data-series="{series}" data-index="{i}" x="{left + n * width:.1f}" '
                f'y="{BASELINE - height:.1f}" width="{width:.1f}" height="{height:.1f}">'
                f"<title>{escape(hour[11:16])} UTC: {value} {series}</title></rect>"
            )
        if i % 3 == 0:
            out.append(
                f'<text class="hour" data-index="{i}" x="{left + width:.1f}" y="{CHART_HEIGHT - 6}" '
                f'text-anchor="middle">{escape(hour[11:13])}h</text>'
            )
    return "\n".join(out)


def _chart(view: dict[str, Any]) -> str:
    return (
        f'<svg id="activity-chart" viewBox="0 0 {CHART_WIDTH} {CHART_HEIGHT}" role="img" '
        f'aria-label="orders created and completed per hour" data-baseline="{BASELINE}" '
        f'data-plot-height="{PLOT_HEIGHT}">\n{_bars(view)}\n</svg>'
    )


def _lead_rows(view: dict[str, Any]) -> str:
    rows = []
    for kind in Kind:
        base = f"leadTimes.kinds.{kind.value}"
        cells = [cell(view, f"{base}.completed")]
        cells += [cell(view, f"{base}.{name}", "duration") for name in ("median", "p90", "max")]
        histogram = _at(view, f"{base}.histogram") or [None] * len(view["leadTimes"]["buckets"])
        total = _at(view, f"{base}.completed") or 0
        for i, n in enumerate(histogram):
            meter = (
                f'<meter data-meter="{base}.histogram.{i}" data-max="{base}.completed" min="0" '
                f'max="{max(total, 1)}" value="{n or 0}"></meter>'
            )
            cells.append(f"<td>{meter} {cell(view, f'{base}.histogram.{i}', tag='span')}</td>")
        rows.append(f'<tr data-kind="{kind.value}"><th scope="row">{kind.value}</th>{"".join(cells)}</tr>')
    return "\n".join(rows)


def jeopardy_row(order: dict[str, Any]) -> str:
    link = f'<a href="{escape(order["href"])}">{escape(order["id"])}</a>'
    texts = (order["kind"], order["state"], order["clientId"], shown(order["due"], "date"))
    cells = "".join(f"<td>{escape(t)}</td>" for t in texts)
    return f"<tr><td>{link}</td>{cells}<td>{escape(duration(order['overdueSeconds']))}</td></tr>"


def _jeopardy_rows(view: dict[str, Any]) -> str:
    orders = view["jeopardy"]["orders"]
    if not orders:
        return f'<tr class="none"><td colspan="6">{"none" if orders is not None else "—"}</td></tr>'
    return "\n".join(jeopardy_row(o) for o in orders)


HEALTH_ROWS = (
    ("database", "database"),
    ("schema", "schema"),
    ("amqp", "AMQP broker"),
    ("outbox", "outbox"),
    ("hub", "hub deliveries"),
)


def _health_rows(view: dict[str, Any]) -> str:
    rows = []
    for key, label in HEALTH_ROWS:
        status = escape(view["health"][key]["status"])
        rows.append(
            f'<tr class="status-{status}" data-status="health.{key}.status"><th scope="row">{label}</th>'
            f"{cell(view, f'health.{key}.detail', 'text')}</tr>"
        )
    return "\n".join(rows)


def _words(state: str) -> str:
    """``assessingCancellation`` as a header that may wrap: ``assessing cancellation``."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", state).lower()


def render_page(view: dict[str, Any], *, static: str, data_url: str) -> str:
    headers = "".join(
        f'<th scope="col" title="{escape(s)}">{escape(_words(s))}</th>' for s in view["book"]["states"]
    )
    buckets = "".join(f'<th scope="col">{escape(b)}</th>' for b in view["leadTimes"]["buckets"])
    return _template().substitute(
        static=escape(static),
        data_url=escape(data_url),
        refresh=int(view["refreshSeconds"]),
        noscript_refresh=NOSCRIPT_REFRESH,
        generated=escape(shown(view["generatedAt"], "time")),
        state_headers=headers,
        book_rows=_book_rows(view),
        activity_chart=_chart(view),
        created_total=escape(shown(view["activity"]["createdTotal"])),
        completed_total=escape(shown(view["activity"]["completedTotal"])),
        bucket_headers=buckets,
        lead_rows=_lead_rows(view),
        jeopardy_total=escape(shown(view["jeopardy"]["total"])),
        jeopardy_rows=_jeopardy_rows(view),
        health_rows=_health_rows(view),
    )
