/* Workspace operations: webhooks (create, test-fire, enable/disable, delete, delivery log),
   schedules (create, pause, run now, run history) and usage analytics with Vega-Lite charts. */
(function () {
  "use strict";
  const { api, el, showError, formatDate, formatNumber, copyText } = window.IE;
  const $ = (id) => document.getElementById(id);
  const fail = (e, hint) => showError($("admin-error"), e, hint);
  const badge = (text, kind) => el("span", { class: "badge" + (kind ? " " + kind : "") }, text);

  // --- webhooks --------------------------------------------------------------------------------

  function deliveryLog(webhook) {
    const body = el("tbody");
    const status = el("select", { id: "wh-status-" + webhook.id, "aria-label": "Filter deliveries by status" },
      ["", "pending", "succeeded", "failed"].map((s) => el("option", { value: s }, s || "All statuses")));
    async function load() {
      const params = new URLSearchParams({ limit: "25" });
      if (status.value) params.set("status", status.value);
      try {
        const data = await api("GET", "/webhooks/" + webhook.id + "/deliveries?" + params);
        body.replaceChildren(...(data.results.length ? data.results.map((d) => el("tr", null, [
          el("td", null, formatDate(d.delivered_at || d.created_at)),
          el("td", null, el("code", null, d.event)),
          el("td", null, badge(d.status, d.status === "succeeded" ? "ok" : d.status === "failed" ? "bad" : "")),
          el("td", { class: "num" }, d.status_code === null ? "—" : String(d.status_code)),
          el("td", { class: "num" }, String(d.attempt)),
          el("td", { class: "num" }, d.duration_ms === null ? "—" : formatNumber(d.duration_ms) + " ms"),
          el("td", null, d.error || (d.response_snippet ? el("code", null, d.response_snippet.slice(0, 120)) : "")),
        ])) : [el("tr", null, el("td", { colspan: "7", class: "muted" }, "No deliveries yet. “Send test” fires a signed ping."))]));
      } catch (e) { body.replaceChildren(el("tr", null, el("td", { colspan: "7" }, "✖ " + e.message))); }
    }
    status.addEventListener("change", load);
    const details = el("details", { class: "deliveries" }, [
      el("summary", null, "Delivery log"),
      el("div", { class: "row" }, [status, el("button", { type: "button", onclick: load }, "Refresh")]),
      el("div", { class: "table-wrap" }, el("table", { class: "data" }, [
        el("thead", null, el("tr", null, ["When", "Event", "Status", "HTTP", "Attempt", "Time", "Response / error"].map((h) => el("th", { scope: "col" }, h)))), body])),
    ]);
    details.addEventListener("toggle", () => { if (details.open) load(); });
    return { details, load };
  }

  function webhookItem(w) {
    const note = el("span", { class: "small", role: "status", "aria-live": "polite" });
    const log = deliveryLog(w);
    const test = el("button", { type: "button", onclick: async () => {
      note.textContent = "Sending a test ping…"; test.disabled = true;
      try {
        const d = await api("POST", "/webhooks/" + w.id + "/test");
        note.textContent = (d.status === "succeeded" ? "✔ Delivered" : d.status === "failed" ? "✖ Failed" : "… " + d.status) +
          (d.status_code ? " (HTTP " + d.status_code + ")" : "") + (d.error ? ": " + d.error : "");
        log.details.open = true; log.load();
      } catch (e) { note.textContent = "✖ " + e.message; }
      test.disabled = false;
    } }, "Send test");
    const toggle = el("button", { type: "button", onclick: async () => {
      try { await api("PATCH", "/webhooks/" + w.id, { active: !w.active }); webhooks(); } catch (e) { fail(e); }
    } }, w.active ? "Disable" : "Enable");
    const remove = el("button", { type: "button", class: "danger", onclick: async () => {
      if (!window.confirm("Delete the webhook to " + w.url + "?")) return;
      try { await api("DELETE", "/webhooks/" + w.id); webhooks(); } catch (e) { fail(e); }
    } }, "Delete");
    return el("li", { "data-webhook-id": w.id }, [
      el("div", { class: "row" }, [el("strong", null, w.url), w.active ? badge("active", "ok") : badge("disabled", "bad"),
        w.consecutive_failures ? badge(w.consecutive_failures + " failure(s) in a row", "bad") : null]),
      el("div", { class: "small muted" }, [w.description ? w.description + " · " : "", "events: " + w.events.join(", "),
        " · last delivery " + formatDate(w.last_delivery_at), " · last success " + formatDate(w.last_success_at),
        w.disabled_reason ? " · disabled: " + w.disabled_reason : ""]),
      el("div", { class: "row" }, [test, toggle, remove, note]),
      log.details,
    ]);
  }

  async function webhooks() {
    try {
      const data = await api("GET", "/webhooks?limit=100");
      $("webhooks").replaceChildren(...(data.results.length ? data.results.map(webhookItem)
        : [el("li", { class: "muted" }, "No webhooks yet. Add one below.")]));
    } catch (e) { fail(e); }
  }

  function webhooksPage() {
    webhooks();
    $("add-webhook").addEventListener("submit", async (event) => {
      event.preventDefault();
      const form = event.currentTarget;
      const events = Array.from(form.querySelectorAll("input[name=events]:checked"), (c) => c.value);
      if (!events.length) { fail({ message: "Choose at least one event.", details: [] }); return; }
      try {
        const created = await api("POST", "/webhooks", { url: $("wh-url").value.trim(), description: $("wh-description").value.trim(), events: events });
        form.reset(); $("admin-error").replaceChildren();
        $("new-secret").replaceChildren(el("div", { class: "alert success" }, [
          el("p", null, "Webhook added. Copy its signing secret now; it is not shown again:"),
          el("pre", { class: "sql" }, created.secret),
          el("button", { type: "button", onclick: (e) => copyText(created.secret, e.currentTarget) }, "Copy secret")]));
        webhooks();
      } catch (e) { fail(e, e.code === "UNSAFE_URL" ? "Webhooks may only call public addresses." : "Fix the fields and add it again."); }
    });
  }

  // --- schedules -------------------------------------------------------------------------------

  let savedTitles = new Map();

  function describe(s) {
    const at = s.time ? " at " + String(s.time).slice(0, 5) : "";
    switch (s.frequency) {
      case "hourly": return "Every hour";
      case "daily": return "Every day" + at;
      case "weekly": return "Every " + (s.day_of_week || "week") + at;
      case "monthly": return "Monthly on day " + (s.day_of_month || 1) + at;
      case "cron": return "Cron " + s.cron;
      default: return s.frequency;
    }
  }

  function runHistory(s) {
    const body = el("tbody");
    async function load() {
      try {
        const data = await api("GET", "/schedules/" + s.id + "/runs?limit=20");
        body.replaceChildren(...(data.results.length ? data.results.map((r) => el("tr", null, [
          el("td", null, formatDate(r.period_start)),
          el("td", null, [badge(r.status, r.status === "succeeded" ? "ok" : r.status === "failed" ? "bad" : ""), r.manual ? " (manual)" : ""]),
          el("td", { class: "num" }, r.rows_returned === null ? "—" : formatNumber(r.rows_returned)),
          el("td", null, (r.emailed_to || []).join(", ") || "—"),
          el("td", null, r.webhook_status === null || r.webhook_status === undefined || r.webhook_status === "" ? "—" : String(r.webhook_status)),
          el("td", null, r.error ? (typeof r.error === "string" ? r.error : r.error.message || JSON.stringify(r.error)) : ""),
        ])) : [el("tr", null, el("td", { colspan: "6", class: "muted" }, "No runs yet."))]));
      } catch (e) { body.replaceChildren(el("tr", null, el("td", { colspan: "6" }, "✖ " + e.message))); }
    }
    const details = el("details", { class: "deliveries" }, [
      el("summary", null, "Run history"),
      el("button", { type: "button", onclick: load }, "Refresh"),
      el("div", { class: "table-wrap" }, el("table", { class: "data" }, [
        el("thead", null, el("tr", null, ["Period", "Status", "Rows", "Emailed to", "Webhook", "Error"].map((h) => el("th", { scope: "col" }, h)))), body])),
    ]);
    details.addEventListener("toggle", () => { if (details.open) load(); });
    return { details, load };
  }

  function scheduleItem(s) {
    const note = el("span", { class: "small", role: "status", "aria-live": "polite" });
    const history = runHistory(s);
    const what = s.saved_query_id ? "Saved query “" + (savedTitles.get(s.saved_query_id) || s.saved_query_id.slice(0, 8)) + "”" : "Question “" + s.question + "”";
    return el("li", { "data-schedule-id": s.id }, [
      el("div", { class: "row" }, [el("strong", null, s.name), s.is_active ? badge("active", "ok") : badge("paused")]),
      el("div", { class: "small muted" }, `${what} · ${describe(s)} (${s.timezone}) · next ${s.next_run_at ? formatDate(s.next_run_at) : "—"} · last ${formatDate(s.last_run_at)}` +
        ((s.notify_emails || []).length ? " · emails " + s.notify_emails.join(", ") + " (" + s.format + ")" : "") + (s.webhook_url ? " · webhook" : "")),
      el("div", { class: "row" }, [
        el("button", { type: "button", onclick: async () => {
          note.textContent = "Queued…";
          try { await api("POST", "/schedules/" + s.id + "/run"); note.textContent = "✔ Queued: see the run history in a moment."; setTimeout(() => { history.details.open = true; history.load(); }, 1500); }
          catch (e) { note.textContent = "✖ " + e.message; }
        } }, "Run now"),
        el("button", { type: "button", onclick: async () => {
          try { await api("PATCH", "/schedules/" + s.id, { is_active: !s.is_active }); schedules(); } catch (e) { fail(e); }
        } }, s.is_active ? "Pause" : "Resume"),
        el("button", { type: "button", class: "danger", onclick: async () => {
          if (!window.confirm("Delete the schedule “" + s.name + "”?")) return;
          try { await api("DELETE", "/schedules/" + s.id); schedules(); } catch (e) { fail(e); }
        } }, "Delete"),
        note,
      ]),
      history.details,
    ]);
  }

  async function schedules() {
    try {
      const data = await api("GET", "/schedules?limit=100");
      $("schedules").replaceChildren(...(data.results.length ? data.results.map(scheduleItem)
        : [el("li", { class: "muted" }, "No schedules yet." + ($("add-schedule") ? " Add one below." : ""))]));
    } catch (e) { fail(e); }
  }

  function frequencyChanged() {
    const frequency = $("sch-frequency").value;
    document.querySelectorAll("[data-frequencies]").forEach((node) => node.classList.toggle("hidden", !node.dataset.frequencies.split(" ").includes(frequency)));
  }

  async function schedulesPage() {
    try {
      const saved = await api("GET", "/saved-queries?limit=100&sort=title");
      savedTitles = new Map(saved.results.map((q) => [q.id, q.title]));
      if ($("sch-saved")) for (const q of saved.results) $("sch-saved").append(el("option", { value: q.id }, q.title));
    } catch (e) { fail(e); }
    await schedules();
    const form = $("add-schedule");
    if (!form) return;
    $("sch-timezone").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    $("sch-frequency").addEventListener("change", frequencyChanged); frequencyChanged();
    $("sch-saved").addEventListener("change", () => $("sch-question-field").classList.toggle("hidden", !!$("sch-saved").value));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const frequency = $("sch-frequency").value;
      const payload = { name: $("sch-name").value.trim(), frequency: frequency, timezone: $("sch-timezone").value.trim() || "UTC",
                        format: $("sch-format").value, notify_emails: $("sch-emails").value.split(",").map((x) => x.trim()).filter(Boolean) };
      if ($("sch-saved").value) payload.saved_query_id = $("sch-saved").value; else payload.question = $("sch-question").value.trim();
      if (["daily", "weekly", "monthly"].includes(frequency)) payload.time = $("sch-time").value || "08:00";
      if (frequency === "weekly") payload.day_of_week = $("sch-dow").value;
      if (frequency === "monthly") payload.day_of_month = Number($("sch-dom").value) || 1;
      if (frequency === "cron") payload.cron = $("sch-cron").value.trim();
      if ($("sch-webhook").value.trim()) payload.webhook_url = $("sch-webhook").value.trim();
      try {
        await api("POST", "/schedules", payload);
        form.reset(); $("sch-timezone").value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC"; frequencyChanged();
        $("sch-question-field").classList.remove("hidden"); $("admin-error").replaceChildren();
        schedules();
      } catch (e) { fail(e, "Fix the fields and add it again."); }
    });
  }

  // --- usage analytics -------------------------------------------------------------------------

  async function chart(target, spec) {
    spec = Object.assign({ width: "container", height: 220 }, spec);
    try {
      await window.vegaEmbed(target, spec, { actions: false, renderer: "canvas", tooltip: false, defaultStyle: false,
        // No eval under the Content-Security-Policy: Vega's AST interpreter.
        ast: true, expr: window.vega.expressionInterpreter });
    } catch (e) {
      target.replaceChildren(el("div", { class: "alert warning" }, "The chart could not be drawn (" + e.message + ")."));
    }
  }

  function card(label, value) {
    return el("div", { class: "card" }, [el("div", { class: "card-value" }, value), el("div", { class: "small muted" }, label)]);
  }

  async function analytics() {
    const days = $("an-days").value;
    try {
      const data = await api("GET", "/analytics/queries?days=" + encodeURIComponent(days));
      const pct = (x) => (typeof x === "number" ? Math.round(x * 1000) / 10 + "%" : "—");
      $("an-cards").replaceChildren(
        card("queries in total", formatNumber(data.total_queries)),
        card("today", formatNumber(data.queries_today)),
        card("this week", formatNumber(data.queries_this_week)),
        card("from questions", formatNumber(data.questions)),
        card("success rate", pct(data.success_rate)),
        card("failed", formatNumber(data.failed)),
        card("average run time", data.avg_execution_time_ms === null ? "—" : formatNumber(data.avg_execution_time_ms) + " ms"),
      );
      const perDay = data.per_day || [];
      if (perDay.some((d) => d.queries || d.failed)) {
        const long = perDay.flatMap((d) => [{ date: d.date, kind: "succeeded or other", n: d.queries - d.failed }, { date: d.date, kind: "failed", n: d.failed }]);
        chart($("an-per-day"), { data: { values: long }, mark: "bar",
          encoding: { x: { field: "date", type: "temporal", title: null, timeUnit: "yearmonthdate" }, y: { field: "n", type: "quantitative", title: "queries", stack: true },
                      color: { field: "kind", type: "nominal", title: null, scale: { domain: ["succeeded or other", "failed"], range: ["#1f5fbf", "#b42318"] } } } });
        chart($("an-time"), { data: { values: perDay.filter((d) => d.avg_execution_time_ms !== null) }, mark: { type: "line", point: true },
          encoding: { x: { field: "date", type: "temporal", title: null }, y: { field: "avg_execution_time_ms", type: "quantitative", title: "ms" } } });
      } else {
        $("an-per-day").replaceChildren(el("p", { class: "muted small" }, "No queries in this period."));
        $("an-time").replaceChildren(el("p", { class: "muted small" }, "No queries in this period."));
      }
      if ((data.top_tables || []).length) {
        chart($("an-tables"), { data: { values: data.top_tables }, mark: "bar",
          encoding: { y: { field: "table", type: "nominal", sort: "-x", title: null }, x: { field: "queries", type: "quantitative", title: "queries" } } });
      } else $("an-tables").replaceChildren(el("p", { class: "muted small" }, "No tables queried in this period."));
      $("an-users").replaceChildren(...((data.top_users || []).length ? data.top_users.map((u) => el("tr", null, [
        el("td", null, (u.name ? u.name + " — " : "") + u.email), el("td", { class: "num" }, formatNumber(u.queries)), el("td", { class: "num" }, formatNumber(u.failed))]))
        : [el("tr", null, el("td", { colspan: "3", class: "muted" }, "Nobody ran a query in this period."))]));
    } catch (e) { fail(e); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const page = document.body.dataset.page;
    if (page === "webhooks") webhooksPage();
    if (page === "schedules") schedulesPage();
    if (page === "analytics") { $("an-days").addEventListener("change", analytics); $("an-filter").addEventListener("submit", (e) => { e.preventDefault(); analytics(); }); analytics(); }
  });
})();
