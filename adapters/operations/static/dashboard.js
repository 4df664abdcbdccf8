// Ordergate dashboard: polls /dashboard/data and updates the server-rendered page in place.
// Every figure is an element naming its place in the JSON (data-field) and its format
// (data-format); the chart's bars and the lead-time meters are resized; the jeopardy list is
// rebuilt.  Formats are the server's (adapters/operations/dashboard_page.py).
"use strict";

(function () {
  const body = document.body;
  const source = body.dataset.source;
  const refresh = Math.max(1, Number(body.dataset.refresh) || 5);
  const status = document.getElementById("update-status");
  let updates = 0;

  function at(view, path) {
    let value = view;
    for (const step of path.split(".")) {
      if (value === null || value === undefined) return null;
      value = value[step];
    }
    return value === undefined ? null : value;
  }

  function duration(seconds) {
    const units = [["d", 86400], ["h", 3600], ["min", 60]];
    for (const [unit, size] of units) {
      if (seconds >= size) return (seconds / size).toFixed(1) + " " + unit;
    }
    return seconds.toFixed(1) + " s";
  }

  function shown(value, form) {
    if (value === null) return "\u2014";
    if (form === "duration") return duration(Number(value));
    if (form === "time") return String(value).slice(11, 19) + " UTC";
    if (form === "date") return String(value).slice(0, 16).replace("T", " ");
    return String(value);
  }

  function fields(view) {
    for (const el of document.querySelectorAll("[data-field]")) {
      el.textContent = shown(at(view, el.dataset.field), el.dataset.format);
    }
    for (const row of document.querySelectorAll("[data-status]")) {
      row.className = "status-" + (at(view, row.dataset.status) || "na");
    }
    for (const meter of document.querySelectorAll("meter[data-meter]")) {
      meter.max = Math.max(Number(at(view, meter.dataset.max)) || 0, 1);
      meter.value = Number(at(view, meter.dataset.meter)) || 0;
    }
  }

  function chart(activity) {
    const svg = document.getElementById("activity-chart");
    const baseline = Number(svg.dataset.baseline);
    const plot = Number(svg.dataset.plotHeight);
    const series = (name) => activity[name] || new Array(24).fill(0);
    const peak = Math.max(1, ...series("created"), ...series("completed"));
    for (const bar of svg.querySelectorAll("rect[data-series]")) {
      const index = Number(bar.dataset.index);
      const value = series(bar.dataset.series)[index];
      const height = (plot * value) / peak;
      bar.setAttribute("y", (baseline - height).toFixed(1));
      bar.setAttribute("height", height.toFixed(1));
      bar.querySelector("title").textContent =
        activity.hours[index].slice(11, 16) + " UTC: " + value + " " + bar.dataset.series;
    }
    for (const label of svg.querySelectorAll("text.hour")) {
      label.textContent = activity.hours[Number(label.dataset.index)].slice(11, 13) + "h";
    }
    svg.querySelector("text.peak").textContent = String(peak);
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function jeopardy(orders) {
    const rows = [];
    for (const order of orders || []) {
      const tr = document.createElement("tr");
      const link = document.createElement("a");
      link.href = order.href;
      link.textContent = order.id;
      const first = document.createElement("td");
      first.appendChild(link);
      tr.append(first, cell(order.kind), cell(order.state), cell(order.clientId),
        cell(shown(order.due, "date")), cell(duration(order.overdueSeconds)));
      rows.push(tr);
    }
    if (rows.length === 0) {
      const tr = document.createElement("tr");
      tr.className = "none";
      const td = cell(orders ? "none" : "\u2014");
      td.colSpan = 6;
      tr.appendChild(td);
      rows.push(tr);
    }
    document.getElementById("jeopardy-rows").replaceChildren(...rows);
  }

  async function update() {
    try {
      const response = await fetch(source + "?refresh=" + refresh, {
        cache: "no-store",
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error("the gateway answered " + response.status);
      const view = await response.json();
      fields(view);
      chart(view.activity);
      jeopardy(view.jeopardy.orders);
      updates += 1;
      document.documentElement.dataset.updates = String(updates);
      status.textContent = "";
      status.className = "";
    } catch (error) {
      status.textContent = "(not updated: " + error.message + ")";
      status.className = "stale";
    } finally {
      window.setTimeout(update, refresh * 1000);
    }
  }

  window.setTimeout(update, refresh * 1000);
})();
