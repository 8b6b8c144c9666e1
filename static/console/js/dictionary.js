/* Data dictionary: edit aliases, descriptions, tags and synonyms of tables and columns; run
   auto-guess and approve or reject its suggestions side by side with the current values. */
(function () {
  "use strict";
  const { api, el, showError, waitForJob, formatDate } = window.IE;
  const $ = (id) => document.getElementById(id);
  const sourceId = document.body.dataset.sourceId;
  const canEdit = document.body.dataset.canEdit === "1";
  let schema = null;
  const q = "?database_id=" + encodeURIComponent(sourceId);
  const list = (s) => s.split(",").map((x) => x.trim()).filter(Boolean);

  function editor(kind, path, item, label) {
    const id = (kind + "-" + path).replace(/[^a-zA-Z0-9_-]/g, "_");
    const field = (name, value, hint) => el("div", { class: "field" }, [el("label", { for: id + "-" + name, class: "small" }, name[0].toUpperCase() + name.slice(1) + (hint ? " (" + hint + ")" : "")),
      el(name === "description" ? "textarea" : "input", { id: id + "-" + name, name: name, disabled: !canEdit, rows: name === "description" ? "2" : null }, null)]);
    const form = el("form", { class: "dict-edit" }, [
      el("div", { class: "row" }, [field("alias", item.alias), field("tags", null, "comma separated"), field("synonyms", null, "comma separated")]),
      field("description", item.description),
      canEdit ? el("button", { type: "submit" }, "Save " + label) : null,
      el("span", { class: "small", role: "status", "aria-live": "polite" }),
    ]);
    form.elements.alias.value = item.alias || ""; form.elements.description.value = item.description || "";
    form.elements.tags.value = (item.tags || []).join(", "); form.elements.synonyms.value = (item.synonyms || []).join(", ");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const note = form.querySelector("[role=status]");
      try {
        await api("PATCH", `/metadata/${kind}/${path}${q}`, { alias: form.elements.alias.value.trim(), description: form.elements.description.value.trim(),
          tags: list(form.elements.tags.value), synonyms: list(form.elements.synonyms.value) });
        note.textContent = "✔ Saved";
        loadVersions(true);
      } catch (e) { note.textContent = "✖ " + e.message + (e.details.length ? ": " + e.details.map((d) => d.message).join("; ") : ""); }
    });
    return form;
  }

  function draw() {
    const filter = $("dict-filter").value.trim().toLowerCase();
    const tables = schema.tables.filter((t) => !filter || [t.qualified_name, t.alias].concat(t.columns.map((c) => c.name + " " + c.alias)).join(" ").toLowerCase().includes(filter));
    $("tables").replaceChildren(...tables.map((t) => el("details", { class: "panel" }, [
      el("summary", null, [el("strong", null, t.qualified_name), t.alias ? " — " + t.alias : ""]),
      editor("tables", encodeURIComponent(t.qualified_name), t, "table"),
      ...t.columns.map((c) => el("details", null, [el("summary", null, [c.name, el("span", { class: "small muted" }, " " + c.type + (c.alias ? " · " + c.alias : ""))]),
        editor("columns", encodeURIComponent(t.qualified_name) + "/" + encodeURIComponent(c.name), c, "column")])),
    ])));
  }

  function showSuggestions(jobId, suggestions) {
    // The decision endpoints answer with counts only: keep the statuses here, so that deciding one
    // suggestion after another never brings an earlier one back.
    const pending = suggestions.filter((s) => s.status === "pending");
    if (!pending.length) { $("suggestions").replaceChildren(el("p", { class: "small muted" }, "No pending suggestions: the dictionary already covers what auto-guess could tell.")); return; }
    const decide = async (action, ids) => {
      try {
        const r = await api("POST", `/metadata/auto-guess/${jobId}/${action}`, ids ? { suggestion_ids: ids } : {});
        showSuggestions(jobId, (r && r.suggestions) || suggestions.map((s) => (s.status === "pending" && (!ids || ids.includes(s.id)) ? Object.assign({}, s, { status: action === "apply" ? "applied" : "rejected" }) : s)));
        if (r && typeof r.applied === "number") $("guess-note").textContent = `Applied ${r.applied}, rejected ${r.rejected}` + (r.skipped ? `, skipped ${r.skipped} (edited by a person since)` : "") + ".";
        loadSchema(); loadVersions(true);
      }
      catch (e) { showError($("suggestions"), e); }
    };
    $("suggestions").replaceChildren(
      el("div", { class: "row" }, [el("button", { type: "button", class: "primary", onclick: () => decide("apply") }, "Approve all"), el("button", { type: "button", onclick: () => decide("reject") }, "Reject all")]),
      el("div", { class: "side-by-side small", role: "table", "aria-label": "Suggestions" }, [el("strong", null, "Current"), el("strong", null, "Suggested"), el("span")].concat(
        pending.flatMap((s) => [
          el("div", null, [el("code", null, s.table + (s.column ? "." + s.column : "") + " · " + s.field), el("div", null, JSON.stringify(s.current_value) || "—")]),
          el("div", null, [el("div", null, Array.isArray(s.value) ? s.value.join(", ") : String(s.value)), el("div", { class: "muted" }, `${Math.round((s.confidence || 0) * 100)}% · ${s.reason || ""}`)]),
          el("div", { class: "row" }, [el("button", { type: "button", "aria-label": "Approve " + s.field + " of " + s.table, onclick: () => decide("apply", [s.id]) }, "Approve"),
                                       el("button", { type: "button", "aria-label": "Reject " + s.field + " of " + s.table, onclick: () => decide("reject", [s.id]) }, "Reject")]),
        ]))));
  }

  async function guess() {
    const bar = $("guess-progress");
    bar.classList.remove("hidden"); bar.value = 0; $("guess").disabled = true;
    try {
      const started = await api("POST", "/metadata/auto-guess", { database_id: sourceId });
      await waitForJob(started.job_id, (j) => { bar.value = j.progress || 0; });
      const result = await api("GET", "/metadata/auto-guess/" + started.job_id);
      showSuggestions(started.job_id, result.suggestions || []);
    } catch (e) { showError($("suggestions"), e); }
    $("guess").disabled = false;
  }

  // --- version history ------------------------------------------------------------------------
  let versionPage = 1;
  const shown = (value) => (value === undefined || value === null || value === "" ? "—"
    : Array.isArray(value) ? (value.length ? value.join(", ") : "—") : String(value));

  function versionItem(v) {
    const fields = Array.from(new Set(Object.keys(v.before || {}).concat(Object.keys(v.after || {}))));
    const note = el("span", { class: "small", role: "status", "aria-live": "polite" });
    const target = v.table + (v.column ? "." + v.column : "");
    return el("li", { "data-version-id": v.id }, [
      el("div", { class: "row" }, [el("code", null, target), el("span", { class: "badge" }, v.source),
        el("span", { class: "small muted" }, formatDate(v.created_at) + (v.edited_by ? " · " + v.edited_by : "")),
        el("span", { class: "spacer" }),
        canEdit ? el("button", { type: "button", "aria-label": "Restore the values before this change to " + target, onclick: async () => {
          if (!window.confirm("Put back the values " + target + " had before this change?")) return;
          try { await api("POST", "/metadata/versions/" + v.id + "/restore"); note.textContent = "✔ Restored"; loadVersions(true); loadSchema(); }
          catch (e) { note.textContent = "✖ " + e.message; }
        } }, "Restore") : null, note]),
      fields.length ? el("table", { class: "data small diff" }, [
        el("thead", null, el("tr", null, [el("th", { scope: "col" }, "Field"), el("th", { scope: "col" }, "Before"), el("th", { scope: "col" }, "After")])),
        el("tbody", null, fields.map((f) => el("tr", null, [el("th", { scope: "row" }, f), el("td", null, shown((v.before || {})[f])), el("td", null, shown((v.after || {})[f]))]))),
      ]) : null,
    ]);
  }

  async function loadVersions(reset) {
    if (reset) versionPage = 1;
    const params = new URLSearchParams({ database_id: sourceId, page: String(versionPage), limit: "10" });
    try {
      const data = await api("GET", "/metadata/versions?" + params);
      const items = data.results.map(versionItem);
      if (versionPage === 1) $("versions").replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, "No changes yet: edits, approved suggestions and restores show here.")]));
      else $("versions").append(...items);
      $("versions-more").classList.toggle("hidden", !data.next);
      $("versions-error").replaceChildren();
    } catch (e) { showError($("versions-error"), e); }
  }

  async function loadSchema() {
    try {
      schema = await api("GET", "/databases/" + sourceId + "/schema");
      $("dict-title").textContent = "Data dictionary — " + schema.database_name;
      draw();
    } catch (e) { showError($("tables"), e); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    loadSchema();
    loadVersions(true);
    $("versions-refresh").addEventListener("click", () => loadVersions(true));
    $("versions-more").addEventListener("click", () => { versionPage++; loadVersions(false); });
    $("dict-filter").addEventListener("input", () => schema && draw());
    if ($("guess")) $("guess").addEventListener("click", guess);
  });
})();
