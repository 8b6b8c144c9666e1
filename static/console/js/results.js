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
    const rename = new Map(names.map((n, i) => [n, "f" + i]));
    spec.data.values = values.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [rename.get(k) || k, v])));
    (function walk(node) {
      if (Array.isArray(node)) { node.forEach(walk); return; }
      if (!node || typeof node !== "object") return;
      if (typeof node.field === "string" && rename.has(node.field)) {
        if (node.title === undefined) node.title = node.field;
        node.field = rename.get(node.field);
      }
      for (const [key, value] of Object.entries(node)) if (key !== "data") walk(value);
    })(spec);
    return spec;
  }

  const CHART_TYPES = { bar: "bar", line: "line", area: "area", point: "point" };

  async function renderChart(container, chart, columns, rows) {
    container.replaceChildren();
    if (!chart || !chart.spec) {
      container.append(el("p", { class: "small muted", text: "No chart for this result (a chart needs a category or date column and a number)." }));
      return;
    }
    if (chart.type === "number" && rows && rows.length === 1 && rows[0].length === 1) {
      // A single value reads better as a number than as a chart.
      container.append(el("div", { class: "big-number", role: "img", "aria-label": String(rows[0][0]), text: compactNumber(rows[0][0]) }),
        el("div", { class: "small muted", text: columns && columns[0] ? columns[0].name : "" }));
      return;
    }
    const target = el("div", { class: "chart-canvas" });
    const switcher = el("div", { class: "tabs", role: "group", "aria-label": "Chart type" });
    const baseMark = typeof chart.spec.mark === "string" ? chart.spec.mark : (chart.spec.mark && chart.spec.mark.type);
    async function draw(mark) {
      const spec = safeFields(JSON.parse(JSON.stringify(chart.spec)));
      if (mark && spec.mark) spec.mark = typeof spec.mark === "string" ? mark : Object.assign({}, spec.mark, { type: mark });
      spec.width = "container";
      switcher.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.mark === (mark || baseMark))));
      try {
        await window.vegaEmbed(target, spec, {
          actions: false, renderer: "canvas", tooltip: false, defaultStyle: false,
          // No eval under the Content-Security-Policy: Vega's AST interpreter instead of new Function.
          ast: true, expr: window.vega.expressionInterpreter,
        });
      } catch (e) {
        target.replaceChildren(el("div", { class: "alert warning", text: "The chart could not be drawn (" + e.message + "); the table has the data." }));
      }
    }
    if (CHART_TYPES[baseMark]) {
      for (const mark of Object.keys(CHART_TYPES)) {
        switcher.append(el("button", { type: "button", "data-mark": mark, onclick: () => draw(mark) }, mark[0].toUpperCase() + mark.slice(1)));
      }
      container.append(switcher);
    }
    container.append(target);
    await draw(null);
  }

  window.IE.results = { renderTable, renderChart, toTsv };
})();
