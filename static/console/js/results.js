/* Results: a sortable, paged table with copy (TSV) and a chart from the Vega-Lite spec the API
   suggests (chart type switchable). Used by the chat and the SQL editor. */
(function () {
  "use strict";
  const { el, formatNumber, compactNumber, copyText } = window.IE;
  const PAGE_SIZE = 25;

  function isNumeric(column, rows) {
    if (column && /int|float|double|decimal|numeric|real|number/i.test(column.type || "")) return true;
    return false;
  }

  function renderTable(container, columns, rows, options) {
    options = options || {};
    container.replaceChildren();
    if (!rows || rows.length === 0) {
      container.append(el("div", { class: "alert", role: "status" }, [
        el("strong", { text: "No rows." }),
        el("p", { class: "small", text: options.emptyHint || "The query ran but matched nothing. Widen the filters (dates, statuses) or check the values in the schema browser." }),
      ]));
      return;
    }
    const state = { sortBy: null, descending: false, page: 0 };
    const numeric = columns.map((c) => isNumeric(c, rows));
    const wrap = el("div", { class: "table-wrap" });
    const pager = el("div", { class: "pager" });
    const caption = el("caption", { class: "small muted", text: options.caption || "" });

    function sorted() {
      if (state.sortBy === null) return rows;
      const i = state.sortBy;
      const copy = rows.slice();
      copy.sort((a, b) => {
        const x = a[i], y = b[i];
        if (x === y) return 0;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        const order = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y), undefined, { numeric: true });
        return state.descending ? -order : order;
      });
      return copy;
    }

    function draw() {
      const all = sorted();
      const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
      state.page = Math.min(state.page, pages - 1);
      const slice = all.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
      const head = el("tr", null, columns.map((c, i) => {
        const sortState = state.sortBy === i ? (state.descending ? "descending" : "ascending") : "none";
        return el("th", { scope: "col", "aria-sort": sortState }, [
          el("button", { type: "button", title: "Sort by " + c.name, onclick: () => {
            if (state.sortBy === i) state.descending = !state.descending; else { state.sortBy = i; state.descending = false; }
            draw();
          } }, [c.name, sortState === "ascending" ? " ▲" : sortState === "descending" ? " ▼" : ""]),
        ]);
      }));
      const bodyRows = slice.map((row) => el("tr", null, row.map((value, i) => el("td", { class: numeric[i] || typeof value === "number" ? "num" : null },
        value === null ? el("span", { class: "muted", text: "null" }) : (typeof value === "number" ? formatNumber(value) : String(value))))));
      wrap.replaceChildren(el("table", { class: "data" }, [caption, el("thead", null, head), el("tbody", null, bodyRows)]));
      pager.replaceChildren(
        el("button", { type: "button", disabled: state.page === 0, onclick: () => { state.page--; draw(); } }, "Previous"),
        el("span", { class: "small", "aria-live": "polite", text: `Rows ${formatNumber(state.page * PAGE_SIZE + 1)}–${formatNumber(state.page * PAGE_SIZE + slice.length)} of ${formatNumber(all.length)}${options.truncated ? " (result truncated)" : ""}` }),
        el("button", { type: "button", disabled: state.page >= pages - 1, onclick: () => { state.page++; draw(); } }, "Next"),
        el("button", { type: "button", onclick: (e) => copyText(toTsv(columns, all), e.currentTarget) }, "Copy as TSV"),
      );
    }
    draw();
    container.append(wrap, pager);
  }

  function toTsv(columns, rows) {
    const clean = (v) => (v === null || v === undefined ? "" : String(v).replace(/[\t\n]/g, " "));
    return [columns.map((c) => c.name).join("\t")].concat(rows.map((r) => r.map(clean).join("\t"))).join("\n");
  }

  // Column names such as "STRFTIME('%Y-%m', order_date)" or "t.amount" mean nested access to
  // Vega-Lite; give every data field a plain name and keep the original as the axis title.
  function safeFields(spec) {
    const values = spec.data && spec.data.values;
    if (!Array.isArray(values) || !values.length) return spec;
    const names = Object.keys(values[0]);
    // Only names Vega-Lite would misread are renamed: the others keep their names (and a folded
    // series its legend).
    const rename = new Map(names.map((n, i) => [n, "f" + i]).filter(([n]) => /[.[\]\\'"]/.test(n)));
    if (!rename.size) return spec;
    spec.data.values = values.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [rename.get(k) || k, v])));
    (function walk(node) {
      if (Array.isArray(node)) { node.forEach(walk); return; }
      if (!node || typeof node !== "object") return;
      const plain = typeof node.field === "string" ? node.field.replace(/\\(.)/g, "$1") : null;
      if (plain !== null && rename.has(plain)) {
        if (node.title === undefined) node.title = plain;
        node.field = rename.get(plain);
      }
      if (Array.isArray(node.fold)) node.fold = node.fold.map((f) => { const name = String(f).replace(/\\(.)/g, "$1"); return rename.get(name) || f; });
      for (const [key, value] of Object.entries(node)) if (key !== "data") walk(value);
    })(spec);
    return spec;
  }

  const MARKS = ["bar", "line", "area", "point"];
  const VIEW_LABELS = { bar: "Bar", line: "Line", area: "Area", point: "Point", number: "Number", table: "Table only" };

  function numericColumns(columns, rows) {
    return (columns || []).map((c, i) => i).filter((i) => isNumeric(columns[i], rows) ||
      (rows.length > 0 && rows.every((r) => r[i] === null || r[i] === undefined || (typeof r[i] === "number" && isFinite(r[i])))
        && rows.some((r) => typeof r[i] === "number")));
  }

  function markOf(spec) {
    return typeof spec.mark === "string" ? spec.mark : (spec.mark && spec.mark.type);
  }

  // When the API suggests no chart (its "table" kind) but the rows have a category and a number,
  // the user may still plot them: a plain bar chart of the first such pair, in the rows' order.
  function fallbackSpec(columns, rows, numbers) {
    if (!columns || columns.length < 2 || rows.length < 2 || rows.length > 500) return null;
    const category = columns.findIndex((c, i) => !numbers.includes(i));
    const value = numbers.find((i) => i !== category);
    if (category < 0 || value === undefined) return null;
    return {
      data: { values: rows.map((r) => ({ category: r[category], value: r[value] })) },
      mark: "bar",
      encoding: { x: { field: "category", type: "nominal", title: columns[category].name, sort: null },
                  y: { field: "value", type: "quantitative", title: columns[value].name } },
    };
  }

  /* A chart from the API's suggestion ({type, spec}), with a switch between chart types (bar, line,
     area, point), a big number for a one-row result, and "table only". */
  async function renderChart(container, chart, columns, rows) {
    container.replaceChildren();
    rows = rows || []; columns = columns || [];
    if (!rows.length) return;  // the table already says there are no rows, and what to do
    const numbers = numericColumns(columns, rows);
    const suggested = chart && chart.spec && chart.type !== "number" ? chart.spec : null;
    const spec = suggested || fallbackSpec(columns, rows, numbers);
    const baseMark = spec ? markOf(spec) : null;
    const views = [];
    if (rows.length === 1 && numbers.length) views.push("number");
    if (spec) views.push(...(MARKS.includes(baseMark) ? MARKS : [baseMark]));
    if (!views.length) {
      container.append(el("p", { class: "small muted", text: "No chart for this result: a chart needs a category or date column and a number, a single value shows as a number. The table has every row." }));
      return;
    }
    views.push("table");
    const initial = chart && chart.type === "number" && views.includes("number") ? "number"
      : suggested ? baseMark : (views[0] === "number" ? "number" : "table");
    const target = el("div", { class: "chart-canvas" });
    const switcher = el("div", { class: "tabs", role: "group", "aria-label": "Chart type" });

    function drawNumber() {
      const row = rows[0];
      target.replaceChildren(el("div", { class: "numbers" }, numbers.slice(0, 4).map((i) => el("div", { class: "number-card" }, [
        el("div", { class: "big-number", role: "img", title: formatNumber(row[i]), "aria-label": columns[i].name + ": " + formatNumber(row[i]),
                    text: row[i] === null || row[i] === undefined ? "—" : compactNumber(row[i]) }),
        el("div", { class: "small muted", text: columns[i].name }),
      ]))));
    }

    async function draw(view) {
      switcher.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.view === view)));
      if (view === "table") {
        target.replaceChildren(el("p", { class: "small muted", text: suggested ? "Chart hidden: the table above has the data." : "The table above shows this result best; pick a chart type to plot it." }));
        return;
      }
      if (view === "number") { drawNumber(); return; }
      const drawn = safeFields(JSON.parse(JSON.stringify(spec)));
      if (drawn.mark) drawn.mark = typeof drawn.mark === "string" ? view : Object.assign({}, drawn.mark, { type: view });
      drawn.width = "container";
      target.replaceChildren();
      try {
        await window.vegaEmbed(target, drawn, {
          actions: false, renderer: "canvas", tooltip: false, defaultStyle: false,
          // No eval under the Content-Security-Policy: Vega's AST interpreter instead of new Function.
          ast: true, expr: window.vega.expressionInterpreter,
        });
      } catch (e) {
        target.replaceChildren(el("div", { class: "alert warning", text: "The chart could not be drawn (" + e.message + "); the table has the data. Try another chart type." }));
      }
    }

    for (const view of views) {
      switcher.append(el("button", { type: "button", "data-view": view, "aria-pressed": String(view === initial), onclick: () => draw(view) }, VIEW_LABELS[view] || view));
    }
    container.append(switcher, target);
    await draw(initial);
  }

  window.IE.results = { renderTable, renderChart, toTsv };
})();
