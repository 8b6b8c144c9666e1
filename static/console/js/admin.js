/* Workspace admin pages: members and invitations, AI providers (with Test), API keys, audit log. */
(function () {
  "use strict";
  const { api, el, showError, formatDate, copyText } = window.IE;
  const $ = (id) => document.getElementById(id);
  const fail = (e) => showError($("admin-error"), e);
  const ROLES = ["viewer", "analyst", "admin", "owner"];

  async function members() {
    try {
      const data = await api("GET", "/team/members?limit=200");
      $("members").replaceChildren(...data.results.map((m) => {
        const role = el("select", { "aria-label": "Role of " + m.email }, ROLES.map((r) => el("option", { value: r, selected: r === m.role }, r)));
        role.addEventListener("change", async () => { try { await api("PATCH", "/team/members/" + m.id, { role: role.value }); } catch (e) { fail(e); role.value = m.role; } });
        return el("tr", null, [el("td", null, m.name || m.username), el("td", null, m.email), el("td", null, role), el("td", null, formatDate(m.joined_at)),
          el("td", null, el("button", { type: "button", class: "danger", onclick: async () => {
            if (!window.confirm("Remove " + m.email + " from the workspace?")) return;
            try { await api("POST", "/team/members/" + m.id + "/revoke"); members(); } catch (e) { fail(e); } } }, "Remove"))]);
      }));
      const invitations = await api("GET", "/team/invitations?limit=100");
      const pending = invitations.results.filter((i) => i.status === "pending");
      $("invitations").replaceChildren(...(pending.length ? pending.map((i) => el("li", null, [`${i.email} (${i.role}) — expires ${formatDate(i.expires_at)}`,
        el("button", { type: "button", onclick: async () => { try { await api("POST", "/team/invitations/" + i.id + "/revoke"); members(); } catch (e) { fail(e); } } }, "Revoke")]))
        : [el("li", { class: "muted" }, "No pending invitations.")]));
    } catch (e) { fail(e); }
    const form = $("invite");
    if (!form.dataset.bound) {
      form.dataset.bound = "1";
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try { await api("POST", "/team/members", { email: $("invite-email").value.trim(), role: $("invite-role").value }); form.reset(); $("admin-error").replaceChildren(); members(); }
        catch (e) { fail(e); }
      });
    }
  }

  async function providers() {
    try {
      const data = await api("GET", "/ai-providers?limit=100");
      $("providers").replaceChildren(...(data.results.length ? data.results.map((p) => {
        const note = el("span", { class: "small", role: "status", "aria-live": "polite" });
        return el("li", null, [el("div", null, [el("strong", null, p.name), ` ${p.provider}${p.model ? " · " + p.model : ""}`, p.is_default ? el("span", { class: "badge ok" }, "default") : null,
          p.has_api_key ? el("span", { class: "badge" }, "key stored") : null, " ", note]),
          el("div", { class: "row" }, [
            el("button", { type: "button", onclick: async () => { note.textContent = "Testing…"; try { const r = await api("POST", "/ai-providers/" + p.id + "/test"); note.textContent = (r.success ? "✔ " : "✖ ") + (r.message || "") + (r.latency_ms ? ` (${Math.round(r.latency_ms)} ms)` : ""); } catch (e) { note.textContent = "✖ " + e.message; } } }, "Test"),
            el("button", { type: "button", class: "danger", onclick: async () => { if (!window.confirm("Delete " + p.name + "?")) return; try { await api("DELETE", "/ai-providers/" + p.id); providers(); } catch (e) { fail(e); } } }, "Delete")])]);
      }) : [el("li", { class: "muted" }, "No provider configured: questions use the built-in offline engine.")]));
    } catch (e) { fail(e); }
    const form = $("add-provider");
    if (!form.dataset.bound) {
      form.dataset.bound = "1";
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const payload = { name: $("p-name").value.trim(), provider: $("p-provider").value, model: $("p-model").value.trim(), is_default: $("p-default").checked };
        if ($("p-base-url").value.trim()) payload.base_url = $("p-base-url").value.trim();
        if ($("p-key").value) payload.api_key = $("p-key").value;
        try { await api("POST", "/ai-providers", payload); form.reset(); $("admin-error").replaceChildren(); providers(); } catch (e) { fail(e); }
      });
    }
  }

  async function keys() {
    try {
      const data = await api("GET", "/api-keys?limit=100");
      $("keys").replaceChildren(...(data.results.length ? data.results.map((k) => el("li", null, [
        el("div", null, [el("strong", null, k.name), ` ${k.prefix}… · created ${formatDate(k.created_at)} · last used ${formatDate(k.last_used_at)}`,
          k.is_active ? el("span", { class: "badge ok" }, "active") : el("span", { class: "badge bad" }, "revoked")]),
        k.is_active ? el("button", { type: "button", class: "danger", onclick: async () => { try { await api("POST", "/api-keys/" + k.id + "/revoke"); keys(); } catch (e) { fail(e); } } }, "Revoke") : null,
      ])) : [el("li", { class: "muted" }, "No API keys.")]));
    } catch (e) { fail(e); }
    const form = $("add-key");
    if (!form.dataset.bound) {
      form.dataset.bound = "1";
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        const payload = { name: $("k-name").value.trim() };
        if ($("k-expires").value) payload.expires_at = new Date($("k-expires").value + "T23:59:59").toISOString();
        try {
          const created = await api("POST", "/api-keys", payload);
          form.reset();
          $("new-key").replaceChildren(el("div", { class: "alert success" }, [el("p", null, "Copy the key now; it is not shown again:"), el("pre", { class: "sql" }, created.key),
            el("button", { type: "button", onclick: (e) => copyText(created.key, e.currentTarget) }, "Copy")]));
          keys();
        } catch (e) { fail(e); }
      });
    }
  }

  let auditPage = 1;
  async function audit() {
    const params = new URLSearchParams({ page: String(auditPage), limit: "50", ordering: "-timestamp" });
    if ($("a-q").value.trim()) params.set("q", $("a-q").value.trim());
    if ($("a-action").value.trim()) params.set("action", $("a-action").value.trim());
    if ($("a-from").value) params.set("date_from", $("a-from").value);
    if ($("a-to").value) params.set("date_to", $("a-to").value);
    try {
      const data = await api("GET", "/audit-logs?" + params);
      $("audit").replaceChildren(...(data.results.length ? data.results.map((a) => el("tr", null, [
        el("td", null, formatDate(a.timestamp)), el("td", null, a.user_email || "—"), el("td", null, el("code", null, a.action)),
        el("td", null, a.resource_type + (a.resource_id ? " " + String(a.resource_id).slice(0, 8) : "")), el("td", null, a.ip_address || "")]))
        : [el("tr", null, el("td", { colspan: "5", class: "muted" }, "No events match these filters."))]));
      $("a-page").textContent = `Page ${auditPage} · ${data.count} events`;
      $("a-prev").disabled = !data.previous; $("a-next").disabled = !data.next;
    } catch (e) { fail(e); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const page = document.body.dataset.page;
    if (page === "members") members();
    if (page === "providers") providers();
    if (page === "keys") keys();
    if (page === "audit") {
      $("audit-filters").addEventListener("submit", (e) => { e.preventDefault(); auditPage = 1; audit(); });
      $("a-prev").addEventListener("click", () => { auditPage--; audit(); });
      $("a-next").addEventListener("click", () => { auditPage++; audit(); });
      audit();
    }
  });
})();
