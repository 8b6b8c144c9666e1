/* Saved queries and templates: browse, search, filter by tag; a form for typed parameters (date,
   number, text, choice with defaults); run with the results table and chart; create and edit with
   parameter definitions; share with members (read / write); clone a template. */
(function () {
  "use strict";
  const { api, el, showError, formatDate, formatNumber, openInEditor } = window.IE;
  const $ = (id) => document.getElementById(id);
  const canWrite = ["analyst", "admin", "owner"].includes(window.IE.role);
  const PARAM = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;
  const TYPES = [["text", "Text"], ["number", "Number"], ["date", "Date"], ["choice", "Choice"]];
  const fail = (e, hint) => showError($("lib-error"), e, hint);
  const tagList = (text) => text.split(",").map((t) => t.trim()).filter(Boolean);
  // replaceChildren() would print a null as the text "null": leave the missing parts out.
  const put = (container, ...nodes) => container.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined && n !== false));
  const paramNames = (sql) => Array.from(new Set(Array.from((sql || "").matchAll(PARAM), (m) => m[1])));

  let sources = null;
  async function dataSources() {
    if (!sources) sources = (await api("GET", "/databases?limit=100")).results;
    return sources;
  }

  function field(id, label, input, hint) {
    return el("div", { class: "field" }, [el("label", { for: id }, [label, hint ? el("span", { class: "help" }, " " + hint) : null]), input]);
  }

  function tagButtons(container, tags, selected, onPick) {
    container.replaceChildren(...(tags.length ? tags.map((tag) => el("button", {
      type: "button", class: "tag", "aria-pressed": String(tag === selected),
      onclick: () => onPick(tag === selected ? "" : tag) }, tag)) : [el("span", { class: "small muted" }, "No tags yet.")]));
  }

  // --- parameter values (the run form) ---------------------------------------------------------

  function parameterInputs(specs, prefix) {
    return specs.map((p) => {
      const id = prefix + "-" + p.name;
      let input;
      if (p.type === "choice") {
        input = el("select", { id: id, name: p.name }, (p.options || []).map((o) => el("option", { value: String(o), selected: String(o) === String(p.default) }, String(o))));
      } else {
        input = el("input", { id: id, name: p.name, type: p.type === "date" ? "date" : p.type === "number" ? "number" : "text",
                              step: p.type === "number" ? "any" : null, required: p.default === null || p.default === undefined ? true : null });
        if (p.default !== null && p.default !== undefined) input.value = String(p.default);
      }
      return field(id, p.label || p.name, input, "(" + p.type + (p.default !== null && p.default !== undefined ? ", default " + p.default : "") + ")");
    });
  }

  function parameterValues(form, specs) {
    const values = {};
    for (const p of specs) {
      const value = form.elements[p.name] ? form.elements[p.name].value : "";
      if (value !== "") values[p.name] = value;
    }
    return values;
  }

  // --- parameter definitions (the create / edit form) ------------------------------------------

  function definitionEditor(container, initial, prefix) {
    const specs = new Map((initial || []).map((p) => [p.name, Object.assign({}, p)]));
    let names = [];

    function read() {
      for (const row of container.querySelectorAll("fieldset[data-param]")) {
        const name = row.dataset.param;
        const get = (key) => row.querySelector(`[data-key="${key}"]`);
        specs.set(name, { name: name, type: get("type").value, label: get("label").value.trim(),
                          default: get("default").value, options: tagList(get("options").value) });
      }
    }

    function draw(sql) {
      read();
      names = paramNames(sql);
      if (!names.length) {
        container.replaceChildren(el("p", { class: "small muted" }, "Write {{name}} in the SQL where a value goes (e.g. WHERE order_date >= {{start_date}}) to add a parameter."));
        return;
      }
      container.replaceChildren(...names.map((name) => {
        const spec = specs.get(name) || { name: name, type: "text" };
        const id = prefix + "-" + name;
        const type = el("select", { id: id + "-type", "data-key": "type" }, TYPES.map(([v, label]) => el("option", { value: v, selected: v === spec.type }, label)));
        const label = el("input", { id: id + "-label", "data-key": "label", maxlength: "120", value: spec.label || "" });
        const def = el("input", { id: id + "-default", "data-key": "default", value: spec.default === null || spec.default === undefined ? "" : String(spec.default) });
        const options = el("input", { id: id + "-options", "data-key": "options", placeholder: "e.g. online, store, mobile", value: (spec.options || []).join(", ") });
        const optionsField = field(id + "-options", "Options", options, "(comma separated)");
        const sync = () => {
          def.type = type.value === "date" ? "date" : type.value === "number" ? "number" : "text";
          if (type.value === "number") def.step = "any";
          optionsField.classList.toggle("hidden", type.value !== "choice");
        };
        type.addEventListener("change", sync);
        const row = el("fieldset", { class: "param-def", "data-param": name }, [
          el("legend", null, "Parameter {{" + name + "}}"),
          el("div", { class: "row" }, [field(id + "-type", "Type", type), field(id + "-label", "Label", label), field(id + "-default", "Default", def), optionsField]),
        ]);
        sync();
        return row;
      }));
    }

    function value() {
      read();
      return names.map((name) => {
        const s = specs.get(name);
        const out = { name: name, type: s.type };
        if (s.label) out.label = s.label;
        if (s.type === "choice") out.options = s.options;
        out.default = s.default === "" ? null : (s.type === "number" ? Number(s.default) : s.default);
        return out;
      });
    }
    return { draw, value };
  }

  // --- saved queries ---------------------------------------------------------------------------

  const state = { search: "", tag: "", sort: "recent", current: null, members: null, pollTimer: null };

  async function loadTags() {
    try {
      const all = await api("GET", "/saved-queries?limit=100&sort=title");
      const tags = Array.from(new Set(all.results.flatMap((s) => s.tags || []))).sort((a, b) => a.localeCompare(b));
      tagButtons($("sq-tags"), tags, state.tag, (tag) => { state.tag = tag; loadTags(); loadList(); });
    } catch (e) { fail(e); }
  }

  async function loadList(selectId) {
    const params = new URLSearchParams({ limit: "100", sort: state.sort });
    if (state.search) params.set("search", state.search);
    if (state.tag) params.set("tag", state.tag);
    try {
      const data = await api("GET", "/saved-queries?" + params);
      $("sq-count").textContent = formatNumber(data.count) + " saved quer" + (data.count === 1 ? "y" : "ies") + (state.tag ? " tagged “" + state.tag + "”" : "");
      $("sq-list").replaceChildren(...(data.results.length ? data.results.map((s) => el("li", { "data-id": s.id }, [
        el("div", null, [
          el("button", { type: "button", class: "linkish", "aria-current": state.current && state.current.id === s.id ? "true" : null, onclick: () => select(s.id) }, s.title),
          el("div", { class: "small muted" }, [(s.database_name || "default source") + " · " + (s.permission === "owner" ? "yours" : "shared by " + (s.owner.name || s.owner.email) + " (" + s.permission + ")"),
            s.parameters.length ? " · " + s.parameters.length + " parameter(s)" : ""]),
          el("div", null, (s.tags || []).map((t) => el("span", { class: "badge" }, t))),
        ]),
      ])) : [el("li", { class: "muted" }, state.search || state.tag ? "Nothing matches these filters." : "No saved queries yet. Save one from the SQL editor or a chat answer, or clone a template.")]));
      if (selectId) select(selectId);
    } catch (e) { fail(e); }
  }

  async function select(id) {
    clearTimeout(state.pollTimer);
    $("sq-result-panel").classList.add("hidden");
    try {
      const saved = await api("GET", "/saved-queries/" + id);
      state.current = saved;
      history.replaceState(null, "", "?id=" + encodeURIComponent(saved.id));
      document.querySelectorAll("#sq-list [aria-current]").forEach((b) => b.removeAttribute("aria-current"));
      const item = document.querySelector(`#sq-list li[data-id="${saved.id}"] button`);
      if (item) item.setAttribute("aria-current", "true");
      showDetail(saved);
    } catch (e) { fail(e, e.status === 404 ? "It may have been deleted or is no longer shared with you." : null); }
  }

  function showDetail(saved) {
    const canEdit = saved.permission === "owner" || saved.permission === "write";
    const form = el("form", { id: "sq-run-form", class: "params" }, [
      el("h3", null, saved.parameters.length ? "Parameters" : "Run"),
      ...parameterInputs(saved.parameters, "sqp"),
      el("div", { class: "row" }, [
        el("button", { type: "submit", class: "primary" }, "Run"),
        el("button", { type: "button", onclick: () => openInEditor(saved.sql, saved.database_id) }, "Open in SQL editor"),
        canEdit ? el("button", { type: "button", onclick: () => showEditor(saved) }, "Edit") : null,
        saved.permission === "owner" ? el("button", { type: "button", class: "danger", onclick: () => remove(saved) }, "Delete") : null,
      ]),
    ]);
    form.addEventListener("submit", (event) => { event.preventDefault(); run(saved, parameterValues(form, saved.parameters)); });
    put($("sq-detail"),
      el("h2", { id: "sq-title" }, saved.title),
      saved.description ? el("p", null, saved.description) : null,
      el("p", { class: "small muted" }, `${saved.database_name || "Default data source"} · by ${saved.owner.name || saved.owner.email} · run ${formatNumber(saved.run_count)} time(s)${saved.last_run_at ? ", last " + formatDate(saved.last_run_at) : ""} · your access: ${saved.permission}`),
      el("div", null, (saved.tags || []).map((t) => el("span", { class: "badge" }, t))),
      el("pre", { class: "sql", "aria-label": "SQL" }, saved.sql),
      form,
      saved.permission === "owner" ? sharePanel(saved) : null,
    );
  }

  async function run(saved, values) {
    $("sq-result-panel").classList.remove("hidden");
    $("sq-run-status").textContent = "Running…";
    $("sq-result").replaceChildren(); $("sq-chart").replaceChildren(); $("sq-actions").replaceChildren();
    try {
      let result = await api("POST", "/saved-queries/" + saved.id + "/run", { parameters: values, async: true });
      while (["pending", "running"].includes(result.status)) {
        await new Promise((resolve) => { state.pollTimer = setTimeout(resolve, 500); });
        result = await api("GET", "/queries/" + result.id);
      }
      showRun(result);
    } catch (e) {
      $("sq-run-status").textContent = "";
      showError($("sq-result"), e, e.code === "INVALID_PARAMETERS" || e.code === "INVALID_PARAMETER" ? "Check the parameter values above." : null);
    }
  }

  function showRun(result) {
    if (result.status === "completed") {
      $("sq-run-status").textContent = `Done: ${formatNumber(result.rows_returned || 0)} row(s) in ${formatNumber(result.execution_time_ms || 0)} ms${result.cached ? " (cached)" : ""}.`;
      window.IE.results.renderTable($("sq-result"), result.columns, result.results, { truncated: result.truncated });
      window.IE.results.renderChart($("sq-chart"), result.chart, result.columns, result.results);
      window.IE.actions.render($("sq-actions"), { queryId: result.id, sql: result.sql, save: false });
    } else {
      $("sq-run-status").textContent = result.status === "cancelled" ? "Cancelled." : "Failed.";
      showError($("sq-result"), { message: (result.error && result.error.message) || "The query " + result.status + ".", details: [] },
        "Check the parameter values, or open it in the SQL editor to fix the statement.");
    }
    $("sq-result-panel").scrollIntoView({ block: "nearest" });
  }

  async function remove(saved) {
    if (!window.confirm("Delete “" + saved.title + "”? Members it is shared with lose it too.")) return;
    try {
      await api("DELETE", "/saved-queries/" + saved.id);
      state.current = null; history.replaceState(null, "", location.pathname);
      $("sq-detail").replaceChildren(el("div", { class: "alert success", role: "status" }, "Deleted “" + saved.title + "”."));
      loadList(); loadTags();
    } catch (e) { fail(e); }
  }

  function sharePanel(saved) {
    const note = el("div", { role: "status", "aria-live": "polite" });
    const who = el("select", { id: "sq-share-user" }, [el("option", { value: "" }, "Loading members…")]);
    const permission = el("select", { id: "sq-share-permission" }, [el("option", { value: "read" }, "Read (view and run)"), el("option", { value: "write" }, "Write (also edit)")]);
    const current = el("ul", { class: "list", id: "sq-shared-with" });
    const drawShares = (shares) => current.replaceChildren(...(shares.length ? shares.map((s) => el("li", null, [
      el("span", null, [s.email, " ", el("span", { class: "badge" }, s.permission)]),
      el("button", { type: "button", "aria-label": "Stop sharing with " + s.email, onclick: async () => {
        try { await api("DELETE", "/saved-queries/" + saved.id + "/share/" + s.user_id); saved.shared_with = saved.shared_with.filter((x) => x.user_id !== s.user_id); drawShares(saved.shared_with); }
        catch (e) { showError(note, e); }
      } }, "Stop sharing")])) : [el("li", { class: "muted" }, "Not shared with anyone yet.")]));
    drawShares(saved.shared_with || []);
    const form = el("form", { class: "row" }, [field("sq-share-user", "Member", who), field("sq-share-permission", "Permission", permission), el("button", { type: "submit" }, "Share")]);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (!who.value) { note.textContent = "Pick a member first."; return; }
      try {
        const r = await api("POST", "/saved-queries/" + saved.id + "/share", { user_ids: [who.value], permission: permission.value });
        saved.shared_with = r.shared_with; drawShares(r.shared_with);
        note.textContent = "✔ Shared with " + who.options[who.selectedIndex].textContent + ".";
      } catch (e) { showError(note, e); }
    });
    (async () => {
      try {
        if (!state.members) state.members = (await api("GET", "/team/members?limit=200")).results;
        const others = state.members.filter((m) => m.id !== saved.owner.id);
        who.replaceChildren(el("option", { value: "" }, others.length ? "Choose a member…" : "No other members"),
          ...others.map((m) => el("option", { value: m.id }, (m.name ? m.name + " — " : "") + m.email + " (" + m.role + ")")));
      } catch (e) { showError(note, e); }
    })();
    return el("details", { class: "panel share-panel" }, [el("summary", null, "Share with members"), form, note,
      el("h3", { class: "small" }, "Shared with"), current]);
  }

  async function showEditor(saved) {
    clearTimeout(state.pollTimer);
    $("sq-result-panel").classList.add("hidden");
    const editing = !!(saved && saved.id);
    const title = el("input", { id: "sqe-title", required: true, maxlength: "200", value: editing ? saved.title : "" });
    const database = el("select", { id: "sqe-database" });
    const sql = el("textarea", { id: "sqe-sql", class: "sql", spellcheck: "false", required: true,
                                 placeholder: "SELECT … WHERE order_date >= {{start_date}}" });
    sql.value = editing ? saved.sql : "";
    const tags = el("input", { id: "sqe-tags", value: editing ? (saved.tags || []).join(", ") : "" });
    const description = el("textarea", { id: "sqe-description", rows: "2", maxlength: "5000" });
    description.value = editing ? saved.description : "";
    const definitions = el("div", { id: "sqe-params" });
    const editor = definitionEditor(definitions, editing ? saved.parameters : [], "sqe-p");
    const note = el("div", { role: "status", "aria-live": "polite" });
    const form = el("form", { id: "sq-edit-form" }, [
      el("h2", null, editing ? "Edit “" + saved.title + "”" : "New saved query"),
      el("div", { class: "row" }, [field("sqe-title", "Title", title), field("sqe-database", "Data source", database)]),
      field("sqe-sql", "SQL", sql, "(one read-only statement; {{name}} marks a parameter)"),
      el("h3", null, "Parameters"), definitions,
      el("div", { class: "row" }, [field("sqe-tags", "Tags", tags, "(comma separated)")]),
      field("sqe-description", "Description", description, "(optional)"),
      el("div", { class: "row" }, [el("button", { type: "submit", class: "primary" }, editing ? "Save changes" : "Save query"),
        el("button", { type: "button", onclick: () => (editing ? showDetail(saved) : $("sq-detail").replaceChildren(el("p", { class: "muted" }, "Pick a saved query on the left."))) }, "Cancel")]),
      note,
    ]);
    let timer = null;
    sql.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => editor.draw(sql.value), 250); });
    editor.draw(sql.value);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      editor.draw(sql.value);
      const payload = { title: title.value.trim(), sql: sql.value, tags: tagList(tags.value), description: description.value.trim(),
                        parameters: editor.value(), database_id: database.value || null };
      try {
        const result = editing ? await api("PATCH", "/saved-queries/" + saved.id, payload) : await api("POST", "/saved-queries", payload);
        await loadList(); loadTags(); select(result.id);
      } catch (e) { showError(note, e, "Fix the fields above and save again."); }
    });
    $("sq-detail").replaceChildren(form);
    title.focus();
    try {
      const list = await dataSources();
      database.replaceChildren(...list.map((s) => el("option", { value: s.id, selected: editing ? s.id === saved.database_id : s.is_default }, s.name + " (" + s.engine + ")")));
    } catch (e) { showError(note, e); }
  }

  function savedQueriesPage() {
    let timer = null;
    $("sq-search").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { state.search = $("sq-search").value.trim(); loadList(); }, 300); });
    $("sq-sort").addEventListener("change", () => { state.sort = $("sq-sort").value; loadList(); });
    $("sq-filter").addEventListener("submit", (e) => { e.preventDefault(); state.search = $("sq-search").value.trim(); loadList(); });
    if ($("sq-new")) $("sq-new").addEventListener("click", () => showEditor(null));
    const wanted = new URLSearchParams(location.search).get("id");
    loadList(wanted); loadTags();
  }

  // --- templates -------------------------------------------------------------------------------

  const tpl = { all: [], search: "", category: "", tag: "" };

  async function loadTemplates() {
    const params = new URLSearchParams({ limit: "100" });
    if (tpl.search) params.set("search", tpl.search);
    if (tpl.category) params.set("category", tpl.category);
    try {
      tpl.all = (await api("GET", "/templates?" + params)).results;
      drawTemplates();
    } catch (e) { fail(e); }
  }

  function drawTemplates() {
    const tags = Array.from(new Set(tpl.all.flatMap((t) => t.tags || []))).sort((a, b) => a.localeCompare(b));
    tagButtons($("tpl-tags"), tags, tpl.tag, (tag) => { tpl.tag = tag; drawTemplates(); });
    const shown = tpl.all.filter((t) => !tpl.tag || (t.tags || []).includes(tpl.tag));
    $("tpl-list").replaceChildren(...(shown.length ? shown.map((t) => el("li", { "data-id": t.id }, [el("div", null, [
      el("button", { type: "button", class: "linkish", onclick: () => showTemplate(t) }, t.title),
      el("div", { class: "small muted" }, t.category + (t.is_builtin ? " · built-in" : " · this workspace") + (t.parameters.length ? " · " + t.parameters.length + " parameter(s)" : "")),
      el("div", null, (t.tags || []).map((x) => el("span", { class: "badge" }, x))),
    ])])) : [el("li", { class: "muted" }, "No template matches these filters.")]));
  }

  async function showTemplate(t) {
    const note = el("div", { role: "status", "aria-live": "polite" });
    const title = el("input", { id: "tpl-clone-title", maxlength: "200", value: t.title });
    const database = el("select", { id: "tpl-clone-database" });
    const form = el("form", { class: "panel" }, [
      el("h3", null, "Clone into my saved queries"),
      el("div", { class: "row" }, [field("tpl-clone-title", "Title", title), field("tpl-clone-database", "Data source", database)]),
      el("button", { type: "submit", class: "primary" }, "Clone"), note,
    ]);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const saved = await api("POST", "/templates/" + t.id + "/clone", { title: title.value.trim() || t.title, database_id: database.value || null });
        note.replaceChildren(el("div", { class: "alert success" }, ["✔ Cloned as “" + saved.title + "”. ",
          el("a", { href: "/console/saved/?id=" + encodeURIComponent(saved.id) }, "Open it to run")]));
      } catch (e) { showError(note, e); }
    });
    put($("tpl-detail"),
      el("h2", null, t.title),
      t.description ? el("p", null, t.description) : null,
      el("p", { class: "small muted" }, t.category + (t.is_builtin ? " · built-in template" : " · template of this workspace") + (t.question ? " · answers “" + t.question + "”" : "")),
      el("div", null, (t.tags || []).map((x) => el("span", { class: "badge" }, x))),
      el("pre", { class: "sql", "aria-label": "SQL" }, t.sql),
      t.parameters.length ? el("div", null, [el("h3", null, "Parameters"), el("table", { class: "data" }, [
        el("thead", null, el("tr", null, ["Name", "Type", "Label", "Default"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", null, t.parameters.map((p) => el("tr", null, [el("td", null, el("code", null, p.name)), el("td", null, p.type + (p.options ? ": " + p.options.join(", ") : "")),
          el("td", null, p.label || ""), el("td", null, p.default === null || p.default === undefined ? "—" : String(p.default))]))),
      ])]) : null,
      canWrite ? form : el("p", { class: "small muted" }, "Viewers cannot clone templates; ask an analyst."),
    );
    if (canWrite) {
      try {
        const list = await dataSources();
        database.replaceChildren(...list.map((s) => el("option", { value: s.id, selected: s.is_default }, s.name + " (" + s.engine + ")")));
      } catch (e) { showError(note, e); }
    }
  }

  async function templatesPage() {
    let timer = null;
    $("tpl-search").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => { tpl.search = $("tpl-search").value.trim(); loadTemplates(); }, 300); });
    $("tpl-category").addEventListener("change", () => { tpl.category = $("tpl-category").value; loadTemplates(); });
    $("tpl-filter").addEventListener("submit", (e) => { e.preventDefault(); tpl.search = $("tpl-search").value.trim(); loadTemplates(); });
    await loadTemplates();
    const categories = Array.from(new Set(tpl.all.map((t) => t.category))).sort();
    for (const c of categories) $("tpl-category").append(el("option", { value: c }, c));
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (document.body.dataset.page === "saved") savedQueriesPage();
    if (document.body.dataset.page === "templates") templatesPage();
  });
})();
