"use strict";
// One conversation: live transcript, claim / reply / hand back / close, and
// marking misunderstood messages. Message text is set with textContent only.
(function () {
  const root = document.querySelector("[data-conversation]");
  if (!root) return;
  const id = root.dataset.conversation;
  const me = Number(root.dataset.me);
  const list = root.querySelector("[data-messages]");
  const template = document.getElementById("message-template");
  const composer = root.querySelector("[data-composer]");
  const reply = root.querySelector("[data-reply]");
  const counter = root.querySelector("[data-counter]");
  const sendButton = root.querySelector("[data-send]");
  const MAX_REPLY = 4000;
  let lastId = Number(root.dataset.lastId) || 0;

  function field(element, name) {
    return element.querySelector(`[data-field="${name}"]`);
  }

  function nearBottom() {
    return list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  }

  function scrollToBottom() {
    list.scrollTop = list.scrollHeight;
  }

  // ------------------------------------------------------------ rendering

  function author(message) {
    if (message.direction === "customer") return "Customer";
    if (message.direction === "bot") return "Bot";
    if (message.direction === "agent") return message.agent_name || "Agent";
    return "";
  }

  function fillMessage(element, message) {
    element.className = `msg msg-${message.direction}` + (message.misunderstood ? " is-misunderstood" : "");
    element.dataset.messageId = String(message.id);
    field(element, "author").textContent = author(message);
    const time = field(element, "time");
    time.dateTime = message.created_at;
    time.textContent = Inbox.formatTime(message.created_at);
    field(element, "text").textContent = message.text;
    const chips = field(element, "buttons");
    chips.replaceChildren(
      ...(message.buttons || []).map((title) => {
        const chip = document.createElement("span");
        chip.className = "chip button-chip";
        chip.textContent = title;
        return chip;
      }),
    );
    chips.hidden = !(message.buttons || []).length;
    const intent = field(element, "intent");
    intent.textContent = message.intent || "";
    intent.hidden = !message.intent;
    const confidence = field(element, "confidence");
    const known = typeof message.confidence === "number";
    confidence.hidden = !known;
    if (known) {
      const level = message.confidence >= 0.8 ? "high" : message.confidence >= 0.5 ? "mid" : "low";
      confidence.className = `badge confidence conf-${level}`;
      confidence.textContent = `${Math.floor(message.confidence * 100)}%`;
    }
    const corrected = field(element, "corrected");
    corrected.hidden = !message.corrected_intent;
    corrected.textContent = message.corrected_intent ? `→ ${message.corrected_intent}` : "";
    const mark = element.querySelector("[data-misunderstood]");
    mark.dataset.misunderstood = String(message.id);
    mark.textContent = message.misunderstood ? "Change correction" : "Misunderstood?";
  }

  function upsertMessage(message) {
    let element = list.querySelector(`[data-message-id="${message.id}"]`);
    const stick = nearBottom() || message.direction === "agent";
    if (!element) {
      element = template.content.firstElementChild.cloneNode(true);
      list.append(element);
    }
    fillMessage(element, message);
    lastId = Math.max(lastId, message.id);
    if (stick) scrollToBottom();
  }

  function applyConversation(c) {
    const mine = c.state === "assigned" && c.assigned_agent_id === me;
    root.dataset.state = c.state;
    root.dataset.mine = String(mine);
    const state = field(root, "state");
    state.className = `state state-${c.state}`;
    state.textContent = c.state_label;
    field(root, "assignee").textContent =
      c.state === "assigned" && c.assigned_agent_name ? `with ${c.assigned_agent_name}` : "";
    field(root, "assignee-note").textContent = c.assigned_agent_name || "Another agent";
    field(root, "agent").textContent = c.assigned_agent_name || "—";
    field(root, "reason").textContent = c.handoff_reason_label || "—";
    field(root, "customer").textContent = c.customer || "Anonymous customer";
    const ratingPanel = root.querySelector("[data-rating-panel]");
    ratingPanel.hidden = c.rating === null;
    if (c.rating !== null) {
      field(root, "rating").textContent = "★".repeat(c.rating) + "☆".repeat(5 - c.rating);
      field(root, "rating-comment").textContent = c.rating_comment || "";
    }
  }

  // Fetches run one after another, so messages are never appended twice.
  let pending = Promise.resolve();
  function refresh() {
    pending = pending.then(async () => {
      try {
        const data = await Inbox.api("GET", `/api/conversations/${id}?after=${lastId}`);
        applyConversation(data.conversation);
        data.messages.forEach(upsertMessage);
      } catch (error) {
        if (error.status !== 401) Inbox.toast(error.message, "error");
      }
    });
    return pending;
  }

  document.addEventListener("inbox:event", (event) => {
    const change = event.detail;
    if (String(change.conversation_id) !== id) return;
    if (change.type === "message_updated" && change.message) {
      upsertMessage(change.message);
    } else {
      refresh();
    }
  });
  document.addEventListener("inbox:resync", refresh);

  // ------------------------------------------------------------ actions

  const done = {
    claim: "You are now handling this conversation.",
    "hand-back": "Handed back to the bot.",
    close: "Closed. The bot asks the customer for a rating.",
  };
  let closeArmed = null;

  root.querySelectorAll("[data-action]").forEach((button) => {
    button.addEventListener("click", async () => {
      const action = button.dataset.action;
      if (action === "close" && !closeArmed) {
        // A second click confirms: closing ends the customer's time with a person.
        button.textContent = "Click again to close";
        closeArmed = setTimeout(() => {
          button.textContent = "Close";
          closeArmed = null;
        }, 4000);
        return;
      }
      clearTimeout(closeArmed);
      closeArmed = null;
      button.disabled = true;
      try {
        const data = await Inbox.api("POST", `/api/conversations/${id}/${action}`);
        applyConversation(data.conversation);
        Inbox.toast(done[action], "good");
        if (action === "claim") reply.focus();
      } catch (error) {
        Inbox.toast(error.message, "error");
      } finally {
        button.disabled = false;
        if (action === "close") button.textContent = "Close";
        refresh();
      }
    });
  });

  // ------------------------------------------------------------ composer

  function updateCounter() {
    counter.textContent = `${reply.value.length} / ${MAX_REPLY}`;
    reply.style.height = "auto";
    reply.style.height = `${Math.min(reply.scrollHeight, 200)}px`;
  }

  reply.addEventListener("input", updateCounter);
  reply.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });

  composer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = reply.value.trim();
    if (!text || sendButton.disabled) return;
    sendButton.disabled = true;
    try {
      await Inbox.api("POST", `/api/conversations/${id}/reply`, { text });
      reply.value = "";
      updateCounter();
    } catch (error) {
      Inbox.toast(error.message, "error");
    } finally {
      sendButton.disabled = false;
      reply.focus();
      refresh();
    }
  });

  // ------------------------------------------------------------ misunderstood

  const dialog = document.querySelector("[data-correction-dialog]");
  const dialogForm = dialog.querySelector("[data-correction-form]");
  const dialogText = dialog.querySelector("[data-correction-text]");
  const dialogIntent = dialog.querySelector("[data-correction-intent]");
  const dialogClear = dialog.querySelector("[data-correction-clear]");
  let correcting = null;

  list.addEventListener("click", (event) => {
    const button = event.target.closest("[data-misunderstood]");
    if (!button) return;
    const element = button.closest("[data-message-id]");
    correcting = button.dataset.misunderstood;
    dialogText.textContent = field(element, "text").textContent;
    const current = field(element, "corrected").textContent.replace(/^→\s*/, "");
    dialogIntent.value = current;
    dialogClear.hidden = !current;
    dialog.showModal();
  });

  async function saveCorrection(intent) {
    try {
      const data = await Inbox.api("POST", `/api/messages/${correcting}/misunderstood`, { intent });
      upsertMessage(data.message);
      Inbox.toast(intent ? `Marked as ${intent}.` : "Mark removed.", "good");
      dialog.close();
    } catch (error) {
      Inbox.toast(error.message, "error");
    }
  }

  dialogForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (dialogIntent.value) saveCorrection(dialogIntent.value);
  });
  dialogClear.addEventListener("click", () => saveCorrection(null));
  dialog.querySelector("[data-correction-cancel]").addEventListener("click", () => dialog.close());

  updateCounter();
  scrollToBottom();
})();
