/* Per-resource access (GET/PUT /permissions/{id}, DELETE /permissions/{id}/{user_id}): one
   member's permission on a data source or a document, over what their role gives them. The API
   decides who may change what; this panel only shows its answers. */
(function () {
  "use strict";
  const { api, el, showError } = window.IE;
  const LEVELS = {
    data_source: [["read", "Read"], ["view_pii", "Read, PII unmasked"], ["none", "No access"]],
    document: [["read", "Read"], ["write", "Read, reprocess and delete"], ["none", "No access (never cited to them)"]],
  };
  const LABELS = Object.fromEntries(Object.values(LEVELS).flat());
  let counter = 0;
  let membersCache = null;

  async function members() {
    if (!membersCache) membersCache = api("GET", "/team/members?limit=200").then((d) => d.results).catch((e) => { membersCache = null; throw e; });
    return membersCache;
  }

  /* options: { resourceId, kind: "data_source" | "document", name } — renders a closed <details>
     that loads the grants when opened. */
  function render(container, options) {
    const prefix = "access" + (++counter);
    const grantsList = el("ul", { class: "list" });
    const note = el("div", { role: "status", "aria-live": "polite", class: "small" });
    const member = el("select", { id: prefix + "-member" });
    const level = el("select", { id: prefix + "-level" }, LEVELS[options.kind].map(([v, label]) => el("option", { value: v }, label)));
    const form = el("form", { class: "row access-form" }, [
      el("div", { class: "field" }, [el("label", { for: prefix + "-member" }, "Member"), member]),
      el("div", { class: "field" }, [el("label", { for: prefix + "-level" }, "Permission"), level]),
      el("button", { type: "submit" }, "Set access"),
    ]);
    const details = el("details", { class: "access" }, [el("summary", null, "Access"),
      el("p", { class: "small muted" }, "Without a grant every member has what their role gives. A grant narrows or widens it for one member."),
      grantsList, form, note]);
    let loaded = false;

    async function load() {
      try {
        const [data, people] = await Promise.all([api("GET", "/permissions/" + options.resourceId), members()]);
        grantsList.replaceChildren(...(data.grants.length ? data.grants.map((g) => el("li", null, [
          el("span", null, [g.email, " — ", el("strong", null, LABELS[g.permission] || g.permission)]),
          el("button", { type: "button", "aria-label": "Remove the grant of " + g.email, onclick: async () => {
            try { await api("DELETE", "/permissions/" + options.resourceId + "/" + g.user_id); note.textContent = "✔ " + g.email + " is back to their role's access."; load(); }
            catch (e) { showError(note, e); }
          } }, "Remove"),
        ])) : [el("li", { class: "muted" }, "No grants: members have their role's access.")]));
        const chosen = member.value;
        member.replaceChildren(...people.map((p) => el("option", { value: p.id, selected: p.id === chosen }, `${p.name || p.username} — ${p.email} (${p.role})`)));
      } catch (e) { showError(note, e); }
    }

    details.addEventListener("toggle", () => { if (details.open && !loaded) { loaded = true; load(); } });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const result = await api("PUT", "/permissions/" + options.resourceId, { user_id: member.value, permission: level.value });
        note.textContent = "✔ " + result.email + ": " + (LABELS[result.permission] || result.permission) + ".";
        load();
      } catch (e) { showError(note, e); }
    });
    container.append(details);
  }

  window.IE.access = { render };
})();
