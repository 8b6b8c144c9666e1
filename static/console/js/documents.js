/* Knowledge-base documents: upload (multipart POST /documents), the list with each document's
   processing status and live progress (polling GET /documents/{id} until it settles, so the page
   never waits on it), download, reprocess, delete, and a passage search over what is indexed. */
(function () {
  "use strict";
  const { api, fetchRaw, saveResponse, el, showError, formatNumber, formatBytes, formatDate } = window.IE;
  const $ = (id) => document.getElementById(id);
  const canUpload = document.body.dataset.canUpload === "1";
  const isAdmin = document.body.dataset.isAdmin === "1";
  const userId = window.IE.userId;
  const SETTLED = ["ready", "failed"];
  const watched = new Map();  // document id → polling timer
  let filterTimer = null;

  const fail = (e, hint) => showError($("docs-error"), e, hint);
  const statusBadge = (d) => el("span", { class: "badge " + (d.status === "ready" ? "ok" : d.status === "failed" ? "bad" : ""), text: d.status });

  function statusCell(d) {
    const cell = el("td", { class: "doc-status" }, [statusBadge(d)]);
    if (!SETTLED.includes(d.status)) {
      cell.append(el("progress", { class: "progress", max: "100", value: String(d.progress || 0), "aria-label": "Processing progress of " + d.name }),
        el("span", { class: "small muted" }, `${d.progress || 0}%`));
    } else if (d.status === "failed" && d.error) {
      cell.append(el("div", { class: "small error-text" }, d.error + " — fix the file and upload it again, or reprocess it."));
    }
    return cell;
  }

  function mayDelete(d) {
    return isAdmin || (canUpload && d.uploaded_by === userId);
  }

  function row(d) {
    const note = el("span", { class: "small", role: "status", "aria-live": "polite" });
    const actions = el("div", { class: "row" }, [
      el("button", { type: "button", "aria-label": "Download " + d.name, onclick: async () => {
        try { await saveResponse(await fetchRaw("GET", "/documents/" + d.id + "/download"), d.name); }
        catch (e) { note.textContent = "✖ " + e.message; }
      } }, "Download"),
      canUpload ? el("button", { type: "button", "aria-label": "Reprocess " + d.name, disabled: !SETTLED.includes(d.status), onclick: async () => {
        try { const again = await api("POST", "/documents/" + d.id + "/reprocess"); replaceRow(again); watch(again.id); }
        catch (e) { note.textContent = "✖ " + e.message; }
      } }, "Reprocess") : null,
      mayDelete(d) ? el("button", { type: "button", class: "danger", "aria-label": "Delete " + d.name, onclick: async () => {
        if (!window.confirm("Delete " + d.name + " and its passages? The assistant will no longer cite it.")) return;
        try { await api("DELETE", "/documents/" + d.id); stopWatching(d.id); load(); }
        catch (e) { note.textContent = "✖ " + e.message; }
      } }, "Delete") : null,
      note,
    ]);
    const nameCell = el("td", null, el("strong", null, d.name));
    // Admins manage every document's grants; an uploader manages theirs (the API decides).
    if ((isAdmin || (canUpload && d.uploaded_by === userId)) && window.IE.access) {
      window.IE.access.render(nameCell, { resourceId: d.id, kind: "document", name: d.name });
    }
    return el("tr", { "data-document-id": d.id }, [
      nameCell,
      el("td", { class: "num" }, formatBytes(d.size)),
      statusCell(d),
      el("td", { class: "num" }, d.status === "ready" ? formatNumber(d.chunk_count || 0) : "—"),
      el("td", { class: "small" }, formatDate(d.created_at)),
      el("td", null, actions),
    ]);
  }

  function replaceRow(d) {
    const old = document.querySelector(`#documents tr[data-document-id="${d.id}"]`);
    if (old) old.replaceWith(row(d)); else load();
  }

  function stopWatching(id) { clearTimeout(watched.get(id)); watched.delete(id); }

  function watch(id) {
    if (watched.has(id)) return;
    let delay = 800;  // slower and slower while it waits (a queue behind a long sync), never above 5 s
    const tick = async () => {
      try {
        const d = await api("GET", "/documents/" + id);
        replaceRow(d);
        if (SETTLED.includes(d.status)) { watched.delete(id); return; }
      } catch (e) {
        watched.delete(id);
        if (e.status !== 404) fail(e);
        return;
      }
      delay = Math.min(delay * 1.25, 5000);
      watched.set(id, setTimeout(tick, delay));
    };
    watched.set(id, setTimeout(tick, 500));
  }

  async function load() {
    const params = new URLSearchParams({ limit: "100", ordering: "-created_at" });
    if ($("doc-status").value) params.set("status", $("doc-status").value);
    if ($("doc-name").value.trim()) params.set("q", $("doc-name").value.trim());
    try {
      const data = await api("GET", "/documents?" + params);
      const filtered = params.has("status") || params.has("q");
      $("documents").replaceChildren(...(data.results.length ? data.results.map(row)
        : [el("tr", null, el("td", { colspan: "6", class: "muted" }, filtered ? "No document matches these filters."
          : canUpload ? "No documents yet. Upload metric definitions or policies above, and the assistant will use them."
            : "No documents yet. Ask an analyst or an admin to upload some."))]));
      $("doc-count").textContent = data.count > data.results.length ? `Showing ${formatNumber(data.results.length)} of ${formatNumber(data.count)}.` : "";
      for (const d of data.results) if (!SETTLED.includes(d.status)) watch(d.id);
    } catch (e) { fail(e); }
  }

  async function upload(event) {
    event.preventDefault();
    const input = $("doc-file");
    const file = input.files && input.files[0];
    if (!file) { $("upload-note").textContent = "Choose a file first."; input.focus(); return; }
    const form = new FormData();
    form.append("file", file, file.name);
    $("upload-button").disabled = true;
    $("upload-note").textContent = "Uploading " + file.name + "…";
    try {
      const d = await api("POST", "/documents", form);
      $("upload").reset(); $("docs-error").replaceChildren();
      $("upload-note").textContent = "✔ Uploaded " + d.name + ": processing in the background (progress below).";
      await load();
      watch(d.id);
    } catch (e) {
      $("upload-note").textContent = "";
      fail(e, e.status === 413 ? "The file is too large: split it or upload a shorter version."
        : e.status === 415 ? "Upload a txt, md, csv, html, pdf or docx file."
          : e.code === "DUPLICATE_DOCUMENT" ? "That content is already in the knowledge base." : null);
    }
    $("upload-button").disabled = false;
  }

  async function search(event) {
    event.preventDefault();
    const q = $("doc-q").value.trim();
    const list = $("passages");
    if (!q) return;
    list.replaceChildren(el("li", { class: "muted" }, "Searching…")); $("search-error").replaceChildren();
    try {
      const passages = await api("GET", "/documents/search?" + new URLSearchParams({ q: q, k: "10" }));
      list.replaceChildren(...(passages.length ? passages.map((p) => el("li", null, [
        el("div", { class: "small muted" }, p.kind === "answer"
          ? ["Earlier answer", p.question ? " to “" + p.question + "”" : ""]
          : [el("strong", null, p.document_name), ` · part ${formatNumber((p.chunk_index || 0) + 1)}`]),
        el("p", { class: "passage" }, p.text),
      ])) : [el("li", { class: "muted" }, "Nothing matches. Try other words, or check that the document is ready.")]));
    } catch (e) { list.replaceChildren(); showError($("search-error"), e); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    load();
    if ($("upload")) $("upload").addEventListener("submit", upload);
    $("doc-search").addEventListener("submit", search);
    $("doc-filter").addEventListener("submit", (e) => { e.preventDefault(); load(); });
    $("doc-status").addEventListener("change", load);
    $("doc-name").addEventListener("input", () => { clearTimeout(filterTimer); filterTimer = setTimeout(load, 250); });
  });
})();
