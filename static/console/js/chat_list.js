/* Conversations by project: GET /projects, GET /chat/sessions?project=…, POST to create. */
(function () {
  "use strict";
  const { api, el, showError, formatDate } = window.IE;
  let currentProject = "";
  let searchTimer = null;

  async function loadProjects() {
    const list = document.getElementById("project-list");
    try {
      const data = await api("GET", "/projects?limit=100");
      const items = [{ id: "", name: "All conversations" }].concat(data.results);
      list.replaceChildren(...items.map((p) => el("li", null, [el("button", { type: "button", class: "linkish",
        "aria-pressed": String(p.id === currentProject), onclick: () => { currentProject = p.id; loadProjects(); loadSessions(); } }, p.name)])));
    } catch (e) { showError(list, e); }
  }

  async function loadSessions() {
    const list = document.getElementById("session-list");
    const q = document.getElementById("session-search").value.trim();
    const params = new URLSearchParams({ limit: "100", ordering: "-updated_at" });
    if (currentProject) params.set("project", currentProject);
    if (q) params.set("q", q);
    try {
      const data = await api("GET", "/chat/sessions?" + params);
      if (!data.results.length) {
        list.replaceChildren(el("li", { class: "muted" }, q ? "No conversation matches." : "No conversations yet — start one above and ask your first question."));
        return;
      }
      list.replaceChildren(...data.results.map((s) => el("li", null, [
        el("a", { href: "/console/chat/" + s.id + "/" }, s.title || "Untitled conversation"),
        el("span", { class: "small muted" }, [s.shared ? el("span", { class: "badge", text: "shared" }) : null, " ", formatDate(s.last_message_at || s.created_at)]),
      ])));
    } catch (e) { showError(list, e); }
  }

  document.addEventListener("DOMContentLoaded", () => {
    loadProjects();
    loadSessions();
    document.getElementById("session-search").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(loadSessions, 250); });
    const newSession = document.getElementById("new-session");
    if (newSession) newSession.addEventListener("submit", async (event) => {
      event.preventDefault();
      const title = document.getElementById("session-title").value.trim() || "New conversation";
      try {
        const session = await api("POST", "/chat/sessions", { title: title, project_id: currentProject || null });
        window.location.assign("/console/chat/" + session.id + "/");
      } catch (e) { showError(document.getElementById("session-error"), e); }
    });
    const newProject = document.getElementById("new-project");
    if (newProject) newProject.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const project = await api("POST", "/projects", { name: document.getElementById("project-name").value.trim() });
        currentProject = project.id; newProject.reset(); loadProjects(); loadSessions();
      } catch (e) { showError(document.getElementById("session-error"), e); }
    });
  });
})();
