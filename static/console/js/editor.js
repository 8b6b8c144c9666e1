/* SQL editor: data source + schema with the dictionary's aliases, validate, run (async, so a long
   query can be cancelled), result table, history. All through the JSON API. */
(function () {
  "use strict";
  const { api, el, showError, formatNumber, formatDate } = window.IE;
  const $ = (id) => document.getElementById(id);
  let schema = null;
  let running = null;
  let pollTimer = null;
  let ranSql = "";
  let ranDatabase = "";

  function insertAtCursor(text) {
    const area = $("sql");
    const start = area.selectionStart, end = area.selectionEnd;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.focus(); area.selectionStart = area.selectionEnd = start + text.length;
  }

  function drawSchema() {
    const box = $("schema");
    if (!schema) return;
    const filter = $("schema-filter").value.trim().toLowerCase();
    const matches = (...xs) => !filter || xs.some((x) => (x || "").toLowerCase().includes(filter));
    const tables = schema.tables.filter((t) => !t.is_removed && (matches(t.qualified_name, t.alias, t.description) || t.columns.some((c) => matches(c.name, c.alias))));
    if (!tables.length) { box.replaceChildren(el("p", { class: "muted small" }, schema.tables.length ? "Nothing matches the filter." : "No tables yet: sync the data source on the Data sources page.")); return; }
    box.replaceChildren(...tables.map((t) => el("details", { open: !!filter }, [
      el("summary", { title: t.description || "" }, [el("strong", null, t.qualified_name), t.alias ? " — " + t.alias : "",
        t.row_count !== null && t.row_count !== undefined ? el("span", { class: "small muted" }, " (" + formatNumber(t.row_count) + " rows)") : null]),
      el("ul", null, [el("li", null, el("button", { type: "button", class: "linkish", onclick: () => insertAtCursor(t.qualified_name) }, "Insert table name"))].concat(
        t.columns.filter((c) => matches(t.qualified_name, t.alias, c.name, c.alias)).map((c) => el("li", { title: c.description || "" }, [
          el("button", { type: "button", class: "linkish", onclick: () => insertAtCursor(c.name) }, c.name),
          el("span", { class: "small muted" }, " " + (c.type || "") + (c.alias ? " · " + c.alias : "")),
          (c.tags || []).includes("PII") ? el("span", { class: "badge bad" }, "PII") : null,
        ])))),
    ])));
  }

  async function loadSchema() {
    const id = $("database").value;
    if (!id) return;
    $("schema").replaceChildren(el("p", { class: "muted" }, "Loading…"));
    try { schema = await api("GET", "/databases/" + id + "/schema"); drawSchema(); }
    catch (e) { showError($("schema"), e, "Check the data source on the Data sources page (test the connection, then sync)."); }
  }

  function showIssues(result) {
    const items = [];
    for (const e of result.errors || []) items.push(el("li", { class: "error" }, ["✖ " + e.message, e.suggestion ? el("span", { class: "small" }, " — " + e.suggestion) : null]));
    for (const w of result.warnings || []) items.push(el("li", { class: "warning" }, ["⚠ " + w.message, w.suggestion ? el("span", { class: "small" }, " — " + w.suggestion) : null]));
    if (!items.length && result.is_valid) items.push(el("li", { class: "small" }, "✔ Valid: one read-only statement" + (result.tables && result.tables.length ? " over " + result.tables.join(", ") : "") + "."));
    $("issues").replaceChildren(...items);
  }

  async function validate() {
    const sql = $("sql").value.trim();
    if (!sql) { $("issues").replaceChildren(el("li", { class: "warning" }, "Write a SELECT statement first.")); return null; }
    try { const result = await api("POST", "/queries/validate", { sql: sql, database_id: $("database").value }); showIssues(result); return result; }
    catch (e) { showError($("issues"), e); return null; }
  }

  function setRunning(run) {
    running = run;
    $("run").disabled = !!run; $("cancel").disabled = !run;
  }

  function showRun(run) {
    $("run-status").textContent = {
      pending: "Queued…", running: "Running…",
      completed: `Done: ${formatNumber(run.rows_returned || 0)} row(s) in ${formatNumber(run.execution_time_ms || 0)} ms${run.cached ? " (cached)" : ""}.`,
      failed: "Failed.", cancelled: "Cancelled.",
    }[run.status] || run.status;
    if (run.warnings && run.warnings.length) showIssues({ errors: [], warnings: run.warnings });
    if (run.status === "completed") {
      window.IE.results.renderTable($("result"), run.columns, run.results, { truncated: run.truncated });
      window.IE.results.renderChart($("result-chart"), run.chart, run.columns, run.results);
      window.IE.actions.render($("result-actions"), { queryId: run.id, sql: ranSql || run.sql, databaseId: ranDatabase || run.database_id });
    } else if (run.status === "failed") {
      showError($("result"), { message: (run.error && run.error.message) || "The query failed.", details: [] },
        run.timed_out ? "It hit the time limit: add filters or a LIMIT, or aggregate." : "Fix the statement (Validate shows where) and run it again.");
    } else if (run.status === "cancelled") {
      $("result").replaceChildren(el("div", { class: "alert warning", role: "status" }, "The query was cancelled. Nothing more runs on the database."));
    }
  }

  async function poll(id) {
    try {
      const run = await api("GET", "/queries/" + id);
      showRun(run);
      if (["pending", "running"].includes(run.status)) { pollTimer = setTimeout(() => poll(id), 500); return; }
      setRunning(null); loadHistory();
    } catch (e) { setRunning(null); showError($("result"), e); }
  }

  async function run() {
    const sql = $("sql").value.trim();
    if (!sql) { $("issues").replaceChildren(el("li", { class: "warning" }, "Write a SELECT statement first.")); return; }
    $("issues").replaceChildren(); $("result-chart").replaceChildren(); $("result-actions").replaceChildren();
    ranSql = sql; ranDatabase = $("database").value;
    $("result").replaceChildren(el("p", { class: "muted" }, "Running…"));
    try {
      const started = await api("POST", "/queries/execute", { mode: "sql", input: sql, database_id: $("database").value, async: true });
      setRunning(started); showRun(started);
      if (["pending", "running"].includes(started.status)) poll(started.id); else { setRunning(null); loadHistory(); }
    } catch (e) {
      setRunning(null); $("run-status").textContent = "";
      showError($("result"), e, e.status === 422 || e.status === 400 ? "Only one read-only SELECT is allowed; Validate shows the problem." : null);
      if (e.details && e.details.length) showIssues({ errors: e.details.map((d) => ({ message: d.message })), warnings: [] });
    }
  }

  async function cancel() {
    if (!running) return;
    $("cancel").disabled = true;
    try { await api("POST", "/queries/" + running.id + "/cancel"); }
    catch (e) { showError($("issues"), e); }
  }

  async function loadHistory() {
    try {
      const data = await api("GET", "/queries?limit=15&ordering=-created_at");
      $("history").replaceChildren(...(data.results.length ? data.results.map((r) => el("li", null, [
        el("button", { type: "button", class: "linkish", title: r.sql, onclick: () => { $("sql").value = r.sql; } },
          (r.question ? r.question + " — " : "") + (r.sql || "").slice(0, 90)),
        el("span", { class: "small muted" }, [el("span", { class: "badge " + (r.status === "completed" ? "ok" : r.status === "failed" ? "bad" : "") }, r.status), " ", formatDate(r.created_at)]),
      ])) : [el("li", { class: "muted" }, "No queries yet.")]));
    } catch (e) { showError($("history"), e); }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    const pending = sessionStorage.getItem("ie.editor.sql");
    const pendingDb = sessionStorage.getItem("ie.editor.database");
    if (pending) { $("sql").value = pending.replace(/\s+LIMIT \d+\s*$/i, ""); sessionStorage.removeItem("ie.editor.sql"); sessionStorage.removeItem("ie.editor.database"); }
    $("validate").addEventListener("click", validate);
    $("run").addEventListener("click", run);
    $("cancel").addEventListener("click", cancel);
    $("history-refresh").addEventListener("click", loadHistory);
    $("schema-filter").addEventListener("input", drawSchema);
    $("database").addEventListener("change", loadSchema);
    $("sql").addEventListener("keydown", (e) => { if ((e.ctrlKey || e.metaKey) && e.key === "Enter") { e.preventDefault(); run(); } });
    try {
      const sources = await api("GET", "/databases?limit=100");
      if (!sources.results.length) { $("schema").replaceChildren(el("div", { class: "alert" }, ["No data source yet. ", el("a", { href: "/console/sources/" }, "Add one"), " to start querying."])); }
      for (const s of sources.results) $("database").append(el("option", { value: s.id, selected: pendingDb ? s.id === pendingDb : s.is_default }, s.name + " (" + s.engine + ")"));
      await loadSchema();
    } catch (e) { showError($("schema"), e); }
    loadHistory();
  });
})();
