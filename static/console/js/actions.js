/* What can be done with a result (a QueryRun): save its SQL as a query, publish a share link
   (expiry, optional password) and export it (CSV, Excel, JSON, Parquet — big ones as a background
   job with progress, then a download). Used by the SQL editor, the chat and the saved queries. */
(function () {
  "use strict";
  const { api, fetchRaw, saveResponse, el, showError, copyText, waitForJob, formatNumber } = window.IE;
  const canWrite = ["analyst", "admin", "owner"].includes(window.IE.role);
  const FORMATS = [["csv", "CSV"], ["xlsx", "Excel (xlsx)"], ["json", "JSON"], ["parquet", "Parquet"]];
  let counter = 0;

  const field = (id, label, input, hint) => el("div", { class: "field" }, [
    el("label", { for: id }, [label, hint ? el("span", { class: "help" }, " " + hint) : null]), input]);
  const tagList = (text) => text.split(",").map((t) => t.trim()).filter(Boolean);

  function saveForm(ctx, prefix) {
    const note = el("div", { role: "status", "aria-live": "polite" });
    const title = el("input", { id: prefix + "-title", required: true, maxlength: "200" });
    title.value = ctx.question || "";
    const tags = el("input", { id: prefix + "-tags", placeholder: "e.g. revenue, monthly" });
    const description = el("textarea", { id: prefix + "-description", rows: "2", maxlength: "5000" });
    const form = el("form", { class: "action-form" }, [
      field(prefix + "-title", "Title", title),
      el("div", { class: "row" }, [field(prefix + "-tags", "Tags", tags, "(comma separated)")]),
      field(prefix + "-description", "Description", description, "(optional)"),
      el("button", { type: "submit", class: "primary" }, "Save query"), note,
    ]);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!title.value.trim()) { note.replaceChildren(el("span", { class: "error-text" }, "Give the query a title.")); title.focus(); return; }
      const payload = { title: title.value.trim(), sql: ctx.sql, tags: tagList(tags.value), description: description.value.trim() };
      if (ctx.question) payload.question = ctx.question;
      if (ctx.databaseId) payload.database_id = ctx.databaseId;
      try {
        const saved = await api("POST", "/saved-queries", payload);
        note.replaceChildren(el("div", { class: "alert success" }, ["✔ Saved as “" + saved.title + "”. ",
          el("a", { href: "/console/saved/?id=" + encodeURIComponent(saved.id) }, "Open in Saved queries")]));
      } catch (e) { showError(note, e); }
    });
    return form;
  }

  function shareForm(ctx, prefix) {
    const note = el("div", { role: "status", "aria-live": "polite" });
    const days = el("input", { id: prefix + "-days", type: "number", min: "1", max: "365", value: "7", required: true });
    const password = el("input", { id: prefix + "-password", type: "password", autocomplete: "new-password", minlength: "4", maxlength: "128" });
    const form = el("form", { class: "action-form" }, [
      el("p", { class: "small muted" }, "Anyone with the link sees a snapshot of this result (SQL, rows, chart) without signing in."),
      el("div", { class: "row" }, [
        field(prefix + "-days", "Expires after (days)", days),
        field(prefix + "-password", "Password", password, "(optional, at least 4 characters)"),
      ]),
      el("button", { type: "submit", class: "primary" }, "Create share link"), note,
    ]);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const payload = { expiration_days: Number(days.value) || 7 };
      if (password.value) payload.password = password.value;
      try {
        const link = await api("POST", "/queries/" + ctx.queryId + "/share-link", payload);
        const url = location.origin + "/share/" + link.token;
        const output = el("input", { id: prefix + "-url", readonly: true, class: "share-url", value: url });
        note.replaceChildren(el("div", { class: "alert success" }, [
          el("label", { for: prefix + "-url" }, "Share link" + (link.has_password ? " (password protected)" : "")),
          output,
          el("div", { class: "row" }, [
            el("button", { type: "button", onclick: (e) => copyText(url, e.currentTarget) }, "Copy link"),
            el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, "Open"),
            el("span", { class: "small muted" }, link.expires_at ? "Valid until " + new Date(link.expires_at).toLocaleString() + ". The link is shown only now." : ""),
          ]),
        ]));
        password.value = "";
        output.select();
      } catch (e) { showError(note, e, e.status === 404 ? "Only your own results can be shared." : null); }
    });
    return form;
  }

  function exportForm(ctx, prefix) {
    const note = el("div", { role: "status", "aria-live": "polite", class: "small" });
    const bar = el("progress", { class: "progress hidden", max: "100", value: "0", "aria-label": "Export progress" });
    const links = el("div", { class: "row" });
    const format = el("select", { id: prefix + "-format" }, FORMATS.map(([v, label]) => el("option", { value: v }, label)));
    const headers = el("input", { id: prefix + "-headers", type: "checkbox", checked: true });
    const background = el("input", { id: prefix + "-async", type: "checkbox" });
    const submit = el("button", { type: "submit", class: "primary" }, "Export");
    const form = el("form", { class: "action-form" }, [
      el("div", { class: "row" }, [
        field(prefix + "-format", "Format", format),
        el("div", { class: "field" }, el("label", { for: prefix + "-headers" }, [headers, " Column names"])),
        el("div", { class: "field" }, el("label", { for: prefix + "-async" }, [background, " Prepare in the background"])),
      ]),
      el("p", { class: "small muted" }, "The query runs again in full for the file; large results are prepared in the background."),
      submit, bar, note, links,
    ]);

    async function downloadJob(job) {
      const result = job.result || {};
      const path = (result.download_url || "").replace(/^\/api\/v1/, "");
      const button = el("button", { type: "button", class: "primary", onclick: async () => {
        try { await saveResponse(await fetchRaw("GET", path), result.filename); }
        catch (e) { showError(note, e, e.status === 410 ? "The file has expired: export again." : null); }
      } }, "Download " + (result.filename || "file"));
      links.replaceChildren(button, el("span", { class: "small muted" },
        `${formatNumber(result.rows || 0)} row(s)${result.truncated ? " (truncated)" : ""}${result.expires_at ? " · available until " + new Date(result.expires_at).toLocaleString() : ""}`));
      button.focus();
    }

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true; links.replaceChildren(); bar.classList.add("hidden");
      note.textContent = "Preparing the file…";
      try {
        const response = await fetchRaw("POST", "/queries/" + ctx.queryId + "/export",
          { format: format.value, include_headers: headers.checked, async: background.checked });
        if (response.status === 202) {
          const queued = await response.json();
          bar.classList.remove("hidden"); bar.value = 0;
          const job = await waitForJob(queued.job_id, (j) => { bar.value = j.progress || 0; note.textContent = `Exporting: ${j.progress || 0}%` + (j.message ? " — " + j.message : ""); });
          if (job.status === "succeeded") { bar.value = 100; note.textContent = "✔ The export is ready."; await downloadJob(job); }
          else note.textContent = "✖ Export " + job.status + ": " + (job.error || job.message || "try again");
        } else {
          const name = await saveResponse(response, "export." + format.value);
          note.textContent = "✔ Downloaded " + name + ".";
        }
      } catch (e) { note.textContent = ""; showError(links, e, e.status === 409 ? "Only a completed query can be exported." : null); }
      submit.disabled = false;
    });
    return form;
  }

  /* ctx: { queryId, sql, databaseId, question, save (default true) } */
  function render(container, ctx) {
    container.replaceChildren();
    if (!ctx || !ctx.queryId) return;
    const prefix = "act" + (++counter);
    const panels = [];
    if (canWrite && ctx.save !== false && ctx.sql) panels.push(["Save as query", saveForm(ctx, prefix + "s")]);
    if (canWrite) panels.push(["Share link", shareForm(ctx, prefix + "l")]);
    panels.push(["Export", exportForm(ctx, prefix + "e")]);
    container.append(el("div", { class: "result-actions", role: "group", "aria-label": "Result actions" },
      panels.map(([label, form]) => el("details", { class: "action" }, [el("summary", null, label), form]))));
  }

  window.IE.actions = { render };
})();
