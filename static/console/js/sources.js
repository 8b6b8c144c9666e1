/* Data sources: list, add (fields per engine), test connection, sync with a live progress bar. */
(function () {
  "use strict";
  const { api, el, showError, formatDate, waitForJob, formatNumber } = window.IE;
  const $ = (id) => document.getElementById(id);
  const isAdmin = ["admin", "owner"].includes(window.IE.role);

  function sourceItem(s) {
    const status = el("span", { class: "badge " + (s.status === "connected" ? "ok" : s.status === "error" ? "bad" : ""), text: s.status });
    const note = el("div", { class: "small", role: "status", "aria-live": "polite" });
    const bar = el("progress", { class: "progress hidden", max: "100", value: "0", "aria-label": "Sync progress of " + s.name });
    const test = el("button", { type: "button", "data-action": "test", onclick: async () => {
      note.textContent = "Testing…";
      try { const r = await api("POST", "/databases/" + s.id + "/test-connection"); note.textContent = r.success === false ? "✖ " + (r.message || "Failed") : "✔ Connected" + (r.server_version ? " (" + r.server_version + ")" : "") + (r.latency_ms ? " in " + formatNumber(r.latency_ms) + " ms" : ""); }
      catch (e) { note.textContent = "✖ " + e.message + " — check host, port, credentials and that the server accepts connections from here."; }
    } }, "Test connection");
    const sync = el("button", { type: "button", onclick: async () => {
      sync.disabled = true; bar.classList.remove("hidden"); bar.value = 0; note.textContent = "Sync queued…";
      try {
        const started = await api("POST", "/databases/" + s.id + "/sync-schema");
        const job = await waitForJob(started.job_id, (j) => { bar.value = j.progress || 0; note.textContent = `Syncing: ${j.progress || 0}%` + (j.message ? " — " + j.message : ""); });
        if (job.status === "succeeded") { bar.value = 100; note.textContent = `✔ Synced 100%: ${formatNumber((job.result && job.result.tables) || 0)} tables.`; }
        else note.textContent = "✖ Sync " + job.status + ": " + (job.error || job.message || "see the job log");
      } catch (e) { note.textContent = "✖ " + e.message; }
      sync.disabled = false;
    } }, "Sync schema");
    const access = el("div");
    if (isAdmin && window.IE.access) window.IE.access.render(access, { resourceId: s.id, kind: "data_source", name: s.name });
    return el("li", { "data-source-id": s.id }, [
      el("div", { class: "grow" }, [el("strong", null, s.name), " ", el("span", { class: "small muted" }, `${s.engine} · ${s.database}${s.host ? " @ " + s.host : ""} · ${formatNumber(s.tables_count || 0)} tables · synced ${formatDate(s.last_synced_at)}`),
        " ", status, s.is_default ? el("span", { class: "badge" }, "default") : null, bar, note, access]),
      el("div", { class: "row" }, [
        el("a", { class: "button", href: "/console/sources/" + s.id + "/dictionary/" }, "Dictionary"),
        isAdmin ? test : null, isAdmin ? sync : null]),
    ]);
  }

  async function load() {
    try {
      const data = await api("GET", "/databases?limit=100");
      $("source-list").replaceChildren(...(data.results.length ? data.results.map(sourceItem)
        : [el("li", { class: "muted" }, isAdmin ? "No data source yet. Add one below." : "No data source yet. Ask a workspace admin to add one.")]));
    } catch (e) { showError($("source-list"), e); }
  }

  function engineChanged() {
    const engine = $("ds-engine").value;
    const fileBased = engine === "sqlite" || engine === "duckdb";
    document.querySelectorAll("[data-engines]").forEach((node) => node.classList.toggle("hidden", !node.dataset.engines.split(" ").includes(engine)));
    $("ds-database-help").textContent = fileBased ? "(file name inside the server's data-source folder)" : "(database name)";
    $("ds-port").placeholder = engine === "mysql" ? "3306" : "5432";
  }

  document.addEventListener("DOMContentLoaded", () => {
    load();
    const form = $("add-source");
    if (!form) return;
    $("ds-engine").addEventListener("change", engineChanged); engineChanged();
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const engine = $("ds-engine").value;
      const payload = { name: $("ds-name").value.trim(), engine: engine, database: $("ds-database").value.trim() };
      if (engine === "postgresql" || engine === "mysql") {
        Object.assign(payload, { host: $("ds-host").value.trim(), username: $("ds-username").value.trim(), password: $("ds-password").value, ssl: $("ds-ssl").checked });
        if ($("ds-port").value) payload.port = Number($("ds-port").value);
      }
      try {
        const created = await api("POST", "/databases", payload);
        form.reset(); engineChanged(); $("sources-error").replaceChildren();
        await load();
        const row = document.querySelector(`[data-source-id="${created.id}"]`);
        if (row) row.querySelector("button[data-action=test]").click();  // test the new connection straight away
      } catch (e) { showError($("sources-error"), e, "Fix the fields above and add it again."); }
    });
  });
})();
