"use strict";
// The queue page: re-renders the list from /api/queue whenever anything changes.
(function () {
  const queue = document.querySelector("[data-queue]");
  if (!queue) return;
  const list = queue.querySelector("[data-queue-list]");
  const empty = queue.querySelector("[data-queue-empty]");
  const template = document.getElementById("queue-row-template");
  const me = Number(queue.dataset.me);

  function field(row, name) {
    return row.querySelector(`[data-field="${name}"]`);
  }

  function fill(row, c) {
    row.dataset.id = String(c.id);
    row.dataset.state = c.state;
    row.dataset.mine = String(c.state === "assigned" && c.assigned_agent_id === me);
    const href = `/conversations/${c.id}`;
    field(row, "link").href = href;
    field(row, "open").href = href;
    const customer = c.customer || "Anonymous customer";
    field(row, "initial").textContent = (c.customer || "?").slice(0, 1).toUpperCase();
    field(row, "customer").textContent = customer;
    field(row, "sender").textContent = c.sender_id;
    field(row, "reason").textContent = c.handoff_reason_label || "—";
    field(row, "language").textContent = (c.language || "—").toUpperCase();
    field(row, "channel").textContent = c.channel;
    const order = field(row, "order");
    order.hidden = !c.order_id;
    order.textContent = c.order_id ? `#${c.order_id}` : "";
    field(row, "since").dataset.since = c.handoff_at || "";
    field(row, "assignee").textContent =
      c.state === "assigned" ? `with ${c.assigned_agent_name || "an agent"}` : "waiting";
    row.querySelector("[data-claim]").dataset.claim = String(c.id);
  }

  // The waiting conversation with the earliest hand-off is marked "Longest wait".
  function markOldest() {
    let oldest = null;
    let oldestSince = Infinity;
    list.querySelectorAll('.queue-row[data-state="waiting"]').forEach((row) => {
      const since = Date.parse(field(row, "since").dataset.since || "");
      if (!Number.isNaN(since) && since < oldestSince) {
        oldest = row;
        oldestSince = since;
      }
    });
    list.querySelectorAll(".queue-row").forEach((row) => {
      row.dataset.oldest = String(row === oldest);
    });
  }

  function render(conversations) {
    const existing = new Map();
    list.querySelectorAll(".queue-row").forEach((row) => existing.set(row.dataset.id, row));
    const rows = conversations.map((c) => {
      let row = existing.get(String(c.id));
      if (!row) {
        row = template.content.firstElementChild.cloneNode(true);
        row.classList.add("is-new");
      }
      fill(row, c);
      return row;
    });
    list.replaceChildren(...rows);
    empty.hidden = rows.length > 0;
    const waiting = conversations.filter((c) => c.state === "waiting").length;
    document.querySelector("[data-waiting-count]").textContent = String(waiting);
    document.querySelector("[data-assigned-count]").textContent = String(conversations.length - waiting);
    markOldest();
    Inbox.tickTimers();
  }

  markOldest();

  document.addEventListener("inbox:queue", (event) => render(event.detail.conversations));

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-claim]");
    if (!button) return;
    event.preventDefault();
    button.disabled = true;
    try {
      await Inbox.api("POST", `/api/conversations/${button.dataset.claim}/claim`);
      location.assign(`/conversations/${button.dataset.claim}`);
    } catch (error) {
      Inbox.toast(error.message, "error");
      button.disabled = false;
      Inbox.refreshQueue();
    }
  });
})();
