/* A conversation over ws/chat/{session_id}/: the answer arrives in stages (retrieving → SQL →
   rows → chart), with the reasoning behind it; history comes from GET …/messages. */
(function () {
  "use strict";
  const { api, socket, el, showError, copyText, openInEditor, formatNumber } = window.IE;
  const sessionId = document.body.dataset.sessionId;
  const STAGES = [["retrieving", "Retrieving context"], ["generating", "Writing SQL"], ["validating", "Checking SQL"],
                  ["executing", "Running"], ["rows", "Rows"], ["chart", "Chart"]];
  const turns = new Map();
  let ws = null;
  let canAsk = false;
  let reconnectDelay = 1000;
  let connectedBefore = false; // a later "ready" is a reconnect: fetch what was missed meanwhile
  const seen = new Set(); // ids of the messages on the page

  function turnFor(id, question) {
    if (turns.has(id)) {
      const known = turns.get(id);
      if (question) { known.question.textContent = question; known.questionText = question; }
      return known;
    }
    const stages = el("ol", { class: "stages", "aria-label": "Progress" }, STAGES.map(([key, label]) => el("li", { "data-stage": key }, label)));
    const turn = {
      root: el("article", { class: "turn", "data-turn-id": id }),
      question: el("p", { class: "question" }, question || ""),
      understood: el("p", { class: "small muted understood" }),
      stages: stages,
      answer: el("p", { class: "answer" }),
      sql: el("div", { class: "sql-block" }),
      table: el("div", { class: "result-table" }),
      chart: el("div", { class: "chart" }),
      reasoning: el("div", { class: "reasoning-block" }),
      actions: el("div", { class: "turn-actions" }),
      error: el("div"),
      sqlText: "", databaseId: null, columns: [], rows: [], queryId: null, questionText: question || "",
    };
    turn.root.append(turn.question, turn.understood, stages, turn.answer, turn.error, turn.sql, turn.table, turn.chart, turn.actions, turn.reasoning);
    document.getElementById("turns").append(turn.root);
    turns.set(id, turn);
    return turn;
  }

  function markStage(turn, stage) {
    let reached = false;
    for (const li of turn.stages.children) {
      if (li.dataset.stage === stage) { li.className = "active"; reached = true; }
      else if (!reached) li.className = "done";
    }
  }
  function finishStages(turn, ok) {
    for (const li of turn.stages.children) if (li.className === "active" || (ok && li.className !== "done")) li.className = ok && li.className === "active" ? "done" : li.className;
    if (ok) turn.stages.classList.add("hidden");
  }

  function showSql(turn, sql, databaseId) {
    turn.sqlText = sql; turn.databaseId = databaseId || turn.databaseId;
    turn.sql.replaceChildren(
      el("pre", { class: "sql", "aria-label": "Generated SQL" }, sql),
      el("div", { class: "row" }, [
        el("button", { type: "button", onclick: (e) => copyText(sql, e.currentTarget) }, "Copy SQL"),
        el("button", { type: "button", onclick: () => openInEditor(sql, turn.databaseId) }, "Open in SQL editor"),
      ]));
  }

  function showRows(turn, columns, rows, truncated, total) {
    turn.columns = columns; turn.rows = rows || [];
    window.IE.results.renderTable(turn.table, columns, rows, { truncated: truncated,
      caption: total !== null && total !== undefined ? formatNumber(total) + " row(s)" : "" });
  }

  function askAgain(question) {
    const input = document.getElementById("question");
    input.value = question; input.focus();
  }

  function mappingText(m) {
    if (typeof m === "string") return m;
    const parts = [m.role ? m.role + ":" : "", m.source ? m.source + " →" : "", m.target || "", m.operator || "",
                   m.value !== undefined && m.value !== null ? String(m.value) : "", m.direction || ""];
    return parts.filter(Boolean).join(" ");
  }

  function passageItem(p) {
    if (p.type === "answer") return el("li", null, ["Earlier answer to “" + (p.question || "") + "”", typeof p.score === "number" ? el("span", { class: "small muted" }, " · score " + formatNumber(p.score)) : null]);
    return el("li", null, [el("a", { href: "/console/documents/" }, p.document_name || "Document"),
      typeof p.chunk === "number" ? " · part " + (p.chunk + 1) : "",
      typeof p.score === "number" ? el("span", { class: "small muted" }, " · score " + formatNumber(p.score)) : null]);
  }

  const listOf = (items, render, ordered) => (items && items.length
    ? el(ordered ? "ol" : "ul", { class: "plain" }, items.map((x) => (render ? render(x) : el("li", null, typeof x === "string" ? x : JSON.stringify(x)))))
    : el("span", { class: "muted" }, "—"));

  /* What the answer rests on: the tables the assistant read, how the question's words mapped to
     columns, the document passages and earlier answers it used, its checks and its confidence. */
  function showReasoning(turn, reasoning) {
    if (!reasoning) return;
    const context = reasoning.context_retrieved || [];
    const tables = context.filter((x) => typeof x === "string" || (x && x.type === "table")).map((x) => (typeof x === "string" ? x : x.name));
    const passages = context.filter((x) => x && typeof x === "object" && (x.type === "document" || x.type === "answer"));
    const confidence = typeof reasoning.confidence === "number" ? Math.round(reasoning.confidence * 100) : null;
    const rows = [
      ["Confidence", confidence === null ? el("span", { class: "muted" }, "—")
        : el("span", null, [el("meter", { min: "0", max: "100", value: String(confidence), low: "50", high: "80", optimum: "100", "aria-label": "Confidence" }),
          " " + confidence + "%" + (confidence < 50 ? " — low: check the SQL before relying on it" : "")])],
      ["Engine", reasoning.engine || "—"],
      ["Tables", listOf(tables, (t) => el("li", null, el("code", null, t)))],
      ["Mappings", listOf(reasoning.mappings, (m) => el("li", null, mappingText(m)))],
      ["Passages", listOf(passages, passageItem)],
      ["Checks", listOf((reasoning.validation || []).map((v) => v.message || v))],
      ["Steps", listOf(reasoning.steps, null, true)],
    ];
    if (reasoning.refusal) {
      const refusal = typeof reasoning.refusal === "string" ? { reason: reasoning.refusal } : reasoning.refusal;
      rows.push(["Why not answered", refusal.reason || "—"]);
      if ((refusal.suggestions || []).length) {
        rows.push(["Try instead", listOf(refusal.suggestions, (q) => el("li", null, el("button", { type: "button", class: "linkish", onclick: () => askAgain(q) }, q)))]);
      }
    }
    turn.reasoning.replaceChildren(el("details", { class: "reasoning" }, [
      el("summary", null, "Show reasoning"),
      el("dl", null, rows.flatMap(([k, v]) => [el("dt", null, k), el("dd", null, v)])),
    ]));
  }

  // A follow-up ("and by country?") is answered as the question it completes: say which.
  function showUnderstoodAs(turn, asked, resolved) {
    if (!resolved || !asked || resolved.trim() === asked.trim()) return;
    turn.understood.textContent = "Understood as: “" + resolved + "”";
  }

  function showActions(turn, queryId) {
    turn.queryId = queryId || turn.queryId;
    if (!turn.queryId) return;
    window.IE.actions.render(turn.actions, { queryId: turn.queryId, sql: turn.sqlText, databaseId: turn.databaseId,
                                             question: turn.questionText });
  }

  function showAssistant(turn, message) {
    turn.answer.textContent = message.content || "";
    if (message.sql) showSql(turn, message.sql, message.data_source_id);
    if (message.query_id) turn.queryId = message.query_id;
    if (message.status === "completed" && message.query_id) showActions(turn, message.query_id);
    if (message.status === "failed" || message.status === "not_answered") {
      const err = message.error || {};
      turn.error.replaceChildren(el("div", { class: "alert warning", role: "alert" }, [
        el("strong", { text: err.message || "No answer for this question." }),
        el("p", { class: "small", text: "Rephrase with the names you see in the data dictionary (tables, columns, their aliases), or write the SQL in the editor." }),
      ]));
    }
    showReasoning(turn, message.reasoning);
  }

  function handle(event) {
    switch (event.type) {
      case "ready":
        canAsk = event.can_ask; reconnectDelay = 1000;
        if (connectedBefore) catchUp().catch((e) => console.warn("could not fetch missed messages", e));
        connectedBefore = true;
        setConnection(canAsk ? "Connected" : "Connected (read-only: your role cannot ask)", true);
        document.getElementById("ask-button").disabled = !canAsk;
        document.getElementById("question").disabled = !canAsk;
        return;
      case "pong": return;
      case "status": markStage(turnFor(event.turn_id), event.stage); return;
      case "message":
        seen.add(event.message.id);
        if (event.message.role === "user") {
          const t = turnFor(event.turn_id, event.message.content);
          showUnderstoodAs(t, event.message.content, (event.follow_up && event.follow_up.rewritten && event.follow_up.question) || event.message.resolved_content);
        }
        else showAssistant(turnFor(event.turn_id), event.message);
        return;
      case "sql": markStage(turnFor(event.turn_id), "executing"); showSql(turnFor(event.turn_id), event.sql); return;
      case "rows": { const t = turnFor(event.turn_id); markStage(t, "rows"); if (event.query_id) t.queryId = event.query_id; showRows(t, event.columns, event.rows, event.truncated, event.rows_returned); return; }
      case "chart": { const t = turnFor(event.turn_id); markStage(t, "chart"); window.IE.results.renderChart(t.chart, event.chart, t.columns, t.rows); return; }
      case "done": {
        const t = turnFor(event.turn_id); finishStages(t, event.status === "completed"); setBusy(false);
        if (event.status === "completed") showActions(t, event.query_id);
        return;
      }
      case "error": {
        const err = event.error || event;
        if (err.code === "SERVICE_UNAVAILABLE" && !event.turn_id) {
          // The server's live channel is down for a moment: a connection state, not the user's error.
          setConnection("Live updates paused — reconnecting…", false);
          return;
        }
        const target = event.turn_id ? turnFor(event.turn_id).error : document.getElementById("chat-error");
        showError(target, { message: err.message || "Something went wrong.", details: err.details || [] }, "Try again, or rephrase the question.");
        setBusy(false);
        return;
      }
      default: return;
    }
  }

  function setConnection(text, ok) {
    const badge = document.getElementById("connection");
    badge.textContent = text; badge.className = "badge " + (ok ? "ok" : "bad");
  }
  function setBusy(busy) {
    document.getElementById("ask-button").disabled = busy || !canAsk;
  }

  async function connect() {
    ws = await socket("/ws/chat/" + sessionId + "/");
    ws.addEventListener("message", (m) => { try { handle(JSON.parse(m.data)); } catch (e) { console.warn("bad event", e); } });
    ws.addEventListener("close", (e) => {
      if (e.code === 4404) { setConnection("This conversation is not available", false); return; }
      if (e.code === 4403) { setConnection("Connection refused (origin)", false); return; }
      setConnection(e.code === 4503 ? "Live updates paused — reconnecting…" : "Disconnected — reconnecting…", false);
      setTimeout(connect, reconnectDelay); reconnectDelay = Math.min(reconnectDelay * 2, 15000);
    });
  }

  function renderStored(results) {
    const messages = results.slice().sort((a, b) => a.created_at.localeCompare(b.created_at));
    for (const m of messages) {
      if (seen.has(m.id)) continue;
      seen.add(m.id);
      if (m.role === "user") { const t = turnFor(m.id, m.content); t.stages.classList.add("hidden"); showUnderstoodAs(t, m.content, m.resolved_content); continue; }
      const t = turnFor(m.reply_to || m.id);
      t.stages.classList.add("hidden");
      showAssistant(t, m);
      if (m.columns && m.columns.length) showRows(t, m.columns, m.rows, m.truncated, m.rows_returned);
      if (m.chart) window.IE.results.renderChart(t.chart, m.chart, m.columns, m.rows || []);
      setBusy(false);
    }
  }

  // After a reconnect: the events sent while the socket was down are lost, the messages are not.
  async function catchUp() {
    renderStored(await allMessages());
  }

  // Every message of the session, oldest first, following the cursor pages.
  async function allMessages() {
    const base = "/chat/sessions/" + sessionId + "/messages";
    let data = await api("GET", base + "?limit=200");
    const results = data.results.slice();
    while (data.next) {
      data = await api("GET", base + new URL(data.next, window.location.href).search);
      results.push(...data.results);
    }
    return results;
  }

  async function loadHistory() {
    const session = await api("GET", "/chat/sessions/" + sessionId);
    document.getElementById("session-title").textContent = session.title || "Conversation";
    document.title = (session.title || "Conversation") + " · InsightEngine";
    renderStored(await allMessages());
    const shared = document.getElementById("session-shared");
    if (shared) shared.checked = !!session.shared;
    const sources = await api("GET", "/databases?limit=100");
    const select = document.getElementById("data-source");
    for (const s of sources.results) select.append(el("option", { value: s.id, selected: s.id === session.data_source_id }, s.name));
  }

  // Questions this data source can answer (its most-asked ones, and ones its dictionary supports):
  // a start for someone who does not know what to ask, or a next question after an answer.
  async function loadSuggestions() {
    const box = document.getElementById("suggested");
    if (!box) return;
    const source = document.getElementById("data-source").value;
    try {
      const data = await api("POST", "/queries/suggestions", source ? { database_id: source, limit: 6 } : { limit: 6 });
      const items = (data.suggestions || []).map((s) => s.question).filter(Boolean);
      document.getElementById("suggested-list").replaceChildren(...items.map((q) => el("li", null,
        el("button", { type: "button", class: "linkish", onclick: () => askAgain(q) }, q))));
      box.classList.toggle("hidden", !items.length);
    } catch (e) { box.classList.add("hidden"); }  // only a help: the page works without it
  }

  document.addEventListener("DOMContentLoaded", async () => {
    document.getElementById("ask-button").disabled = true;
    document.getElementById("ask").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = document.getElementById("question");
      const content = input.value.trim();
      if (!content || !ws || ws.readyState !== WebSocket.OPEN) return;
      const payload = { type: "question", content: content };
      const source = document.getElementById("data-source").value;
      if (source) payload.data_source_id = source;
      ws.send(JSON.stringify(payload));
      input.value = ""; setBusy(true);
      document.getElementById("chat-error").replaceChildren();
    });
    // Sharing makes the conversation readable by every member (the API lets its creator and admins
    // change it); the link is this page's address, for members of the workspace.
    const shared = document.getElementById("session-shared");
    if (shared) shared.addEventListener("change", async () => {
      const note = document.getElementById("share-note");
      try {
        const session = await api("PATCH", "/chat/sessions/" + sessionId, { shared: shared.checked });
        shared.checked = !!session.shared;
        note.textContent = session.shared ? "✔ Every member of the workspace can read it now." : "✔ Only you (and admins) can read it now.";
      } catch (e) { shared.checked = !shared.checked; note.textContent = "✖ " + e.message; }
    });
    document.getElementById("copy-link").addEventListener("click", (e) => copyText(location.origin + "/console/chat/" + sessionId + "/", e.currentTarget));
    try { await loadHistory(); } catch (e) { showError(document.getElementById("chat-error"), e); }
    connect();
    loadSuggestions();
    document.getElementById("data-source").addEventListener("change", loadSuggestions);
  });
})();
