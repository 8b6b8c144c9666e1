/* The console's client for the JSON API: short-lived access tokens of the signed-in session
   (minted by POST /console/token/), the workspace header, the error envelope, and small helpers
   shared by every page. No framework; everything hangs off window.IE. */
(function () {
  "use strict";
  const body = document.body;
  let token = null;
  let tokenExpires = 0;

  async function accessToken(force) {
    if (!force && token && Date.now() < tokenExpires - 30000) return token;
    const response = await fetch(body.dataset.tokenUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": body.dataset.csrfToken, "Accept": "application/json" },
    });
    if (response.status === 401) { window.location.assign("/console/login/?next=" + encodeURIComponent(location.pathname)); throw new ApiError(401, "NOT_AUTHENTICATED", "Your session has ended. Sign in again.", []); }
    const data = await response.json();
    token = data.access_token;
    tokenExpires = Date.now() + data.expires_in * 1000;
    return token;
  }

  class ApiError extends Error {
    constructor(status, code, message, details) {
      super(message); this.status = status; this.code = code; this.details = details || [];
    }
  }

  async function api(method, path, payload, retried) {
    const headers = { "Accept": "application/json", "Authorization": "Bearer " + await accessToken(),
                      "X-Workspace-ID": body.dataset.workspaceId };
    const init = { method: method, headers: headers, credentials: "omit" };
    // A FormData payload (a file upload) goes out as multipart: the browser sets its boundary.
    if (payload instanceof FormData) init.body = payload;
    else if (payload !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(payload); }
    let response;
    try { response = await fetch("/api/v1" + path, init); }
    catch (e) { throw new ApiError(0, "NETWORK", "The server cannot be reached. Check your connection and try again.", []); }
    if (response.status === 401 && !retried) { await accessToken(true); return api(method, path, payload, true); }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!response.ok) {
      const err = (data && data.error) || {};
      throw new ApiError(response.status, err.code || "HTTP_" + response.status,
        err.message || "The request failed (HTTP " + response.status + ").", err.details);
    }
    return data;
  }

  // A raw response (for files): same token and workspace header; errors become ApiError.
  async function fetchRaw(method, path, payload, retried) {
    const headers = { "Accept": "*/*", "Authorization": "Bearer " + await accessToken(),
                      "X-Workspace-ID": body.dataset.workspaceId };
    const init = { method: method, headers: headers, credentials: "omit" };
    if (payload !== undefined) { headers["Content-Type"] = "application/json"; init.body = JSON.stringify(payload); }
    let response;
    try { response = await fetch("/api/v1" + path, init); }
    catch (e) { throw new ApiError(0, "NETWORK", "The server cannot be reached. Check your connection and try again.", []); }
    if (response.status === 401 && !retried) { await accessToken(true); return fetchRaw(method, path, payload, true); }
    if (!response.ok) {
      let err = {};
      try { err = (await response.json()).error || {}; } catch (e) { err = {}; }
      throw new ApiError(response.status, err.code || "HTTP_" + response.status,
        err.message || "The request failed (HTTP " + response.status + ").", err.details);
    }
    return response;
  }

  function filenameOf(response, fallback) {
    const header = response.headers.get("Content-Disposition") || "";
    const star = /filename\*=(?:UTF-8'')?([^;]+)/i.exec(header);
    if (star) { try { return decodeURIComponent(star[1].trim().replace(/^"|"$/g, "")); } catch (e) { /* fall through */ } }
    const plain = /filename="?([^";]+)"?/i.exec(header);
    return plain ? plain[1] : fallback;
  }

  // Hand a fetched file to the browser as a download (a blob: link, so the token never lands in a URL).
  async function saveResponse(response, fallbackName) {
    const name = filenameOf(response, fallbackName || "download");
    const url = URL.createObjectURL(await response.blob());
    const link = el("a", { href: url, download: name, class: "hidden" });
    document.body.append(link); link.click(); link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    return name;
  }

  async function socket(path) {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    // The token travels as a subprotocol, so it never lands in a URL (and so in no access log).
    return new WebSocket(scheme + location.host + path, ["bearer", await accessToken()]);
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of [].concat(children || [])) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function showError(container, error, hint) {
    container.replaceChildren(el("div", { class: "alert error", role: "alert" }, [
      el("strong", { text: error.message || String(error) }),
      (error.details || []).length ? el("ul", null, error.details.map((d) => el("li", { text: (d.field ? d.field + ": " : "") + d.message }))) : null,
      hint ? el("p", { class: "small", text: hint }) : null,
    ]));
  }

  const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  function formatNumber(value) {
    if (typeof value !== "number" || !isFinite(value)) return value;
    return numberFormat.format(value);
  }
  function compactNumber(value) {
    if (typeof value !== "number") return String(value);
    return Math.abs(value) >= 1e6 ? new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 }).format(value) : formatNumber(value);
  }
  function formatDate(iso) { return iso ? new Date(iso).toLocaleString() : "—"; }

  async function copyText(text, button) {
    try {
      await navigator.clipboard.writeText(text);
      if (button) { const old = button.textContent; button.textContent = "Copied"; setTimeout(() => { button.textContent = old; }, 1500); }
    } catch (e) {
      window.prompt("Copy this text:", text);
    }
  }

  function openInEditor(sql, databaseId) {
    sessionStorage.setItem("ie.editor.sql", sql);
    if (databaseId) sessionStorage.setItem("ie.editor.database", databaseId);
    window.location.assign("/console/editor/");
  }

  async function waitForJob(jobId, onProgress) {
    // Polls GET /jobs/{id}; works on every deployment (the in-memory channel layer included).
    for (;;) {
      const job = await api("GET", "/jobs/" + jobId);
      onProgress(job);
      if (["succeeded", "failed", "cancelled"].includes(job.status)) return job;
      await new Promise((r) => setTimeout(r, 700));
    }
  }

  function formatBytes(bytes) {
    if (typeof bytes !== "number" || !isFinite(bytes)) return "—";
    const units = ["bytes", "KB", "MB", "GB"];
    let value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit++; }
    return (unit ? new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(value) : formatNumber(value)) + " " + units[unit];
  }

  window.IE = { api, fetchRaw, saveResponse, socket, accessToken, ApiError, el, showError, formatNumber, compactNumber,
                formatBytes, formatDate, copyText, openInEditor, waitForJob, role: body.dataset.role, userId: body.dataset.userId };
})();
