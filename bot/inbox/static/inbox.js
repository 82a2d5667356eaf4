"use strict";
// Shared by every inbox page: API calls with the CSRF token, toasts, local
// times, ticking timers, and the live WebSocket with reconnects.
// Customer text only ever goes into the page through textContent.
(function () {
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrfToken = csrfMeta ? csrfMeta.content : "";

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, url, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") init.headers["X-CSRF-Token"] = csrfToken;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch (error) {
      throw new ApiError(0, "network", "The inbox server is not reachable. Check your connection.");
    }
    if (response.status === 401) {
      // The session ended (12 h, or logged out elsewhere): back to the login page.
      location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search));
      throw new ApiError(401, "unauthorized", "Please log in again.");
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    if (!response.ok) {
      const message = data && data.message ? data.message : `Request failed (${response.status})`;
      throw new ApiError(response.status, data && data.error, message);
    }
    return data;
  }

  function toast(message, kind) {
    const box = document.querySelector("[data-toasts]");
    if (!box) return;
    const item = document.createElement("div");
    item.className = "toast" + (kind ? " " + kind : "");
    item.setAttribute("role", kind === "error" ? "alert" : "status");
    item.textContent = message;
    box.append(item);
    setTimeout(() => item.remove(), kind === "error" ? 7000 : 4000);
  }

  const sameDay = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  const otherDay = new Intl.DateTimeFormat(undefined, {
    day: "numeric",
    month: "short",
    hour: "2-digit",
    minute: "2-digit",
  });

  function formatTime(iso) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    const today = new Date();
    return date.toDateString() === today.toDateString() ? sameDay.format(date) : otherDay.format(date);
  }

  function localizeTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach((element) => {
      const text = formatTime(element.dateTime);
      if (!text) return;
      element.textContent = text;
      element.title = new Date(element.dateTime).toLocaleString();
    });
  }

  function duration(milliseconds) {
    const seconds = Math.max(0, Math.floor(milliseconds / 1000));
    const minutes = Math.floor(seconds / 60);
    const hours = Math.floor(minutes / 60);
    if (hours >= 24) return `${Math.floor(hours / 24)} d ${hours % 24} h`;
    if (hours >= 1) return `${hours} h ${String(minutes % 60).padStart(2, "0")} min`;
    return `${minutes}:${String(seconds % 60).padStart(2, "0")}`;
  }

  function tickTimers() {
    const now = Date.now();
    document.querySelectorAll("[data-since]").forEach((element) => {
      const since = Date.parse(element.dataset.since || "");
      element.textContent = Number.isNaN(since) ? "–" : duration(now - since);
    });
  }

  // ------------------------------------------------------------ queue badge

  const baseTitle = document.title;
  let queueTimer = null;

  async function refreshQueue() {
    let data;
    try {
      data = await api("GET", "/api/queue");
    } catch (error) {
      return;
    }
    const waiting = data.conversations.filter((c) => c.state === "waiting").length;
    const badge = document.querySelector("[data-queue-count]");
    if (badge) {
      badge.textContent = String(waiting);
      badge.hidden = waiting === 0;
    }
    document.title = waiting ? `(${waiting}) ${baseTitle}` : baseTitle;
    document.dispatchEvent(new CustomEvent("inbox:queue", { detail: data }));
  }

  function scheduleQueueRefresh() {
    clearTimeout(queueTimer);
    queueTimer = setTimeout(refreshQueue, 150);
  }

  // ------------------------------------------------------------ live updates

  const status = document.querySelector("[data-live-status]");
  const statusLabel = document.querySelector("[data-live-label]");
  let retryDelay = 1000;
  let everConnected = false;

  function setStatus(state, label) {
    if (!status) return;
    status.dataset.state = state;
    if (statusLabel) statusLabel.textContent = label;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws");
    socket.addEventListener("open", () => {
      retryDelay = 1000;
      setStatus("live", "Live");
      if (everConnected) {
        // Events may have been missed while offline: let pages reload their data.
        document.dispatchEvent(new CustomEvent("inbox:resync"));
        scheduleQueueRefresh();
      }
      everConnected = true;
    });
    socket.addEventListener("message", (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (error) {
        return;
      }
      if (event.type === "hello") return;
      if (event.type === "resync") {
        document.dispatchEvent(new CustomEvent("inbox:resync"));
      } else {
        document.dispatchEvent(new CustomEvent("inbox:event", { detail: event }));
      }
      scheduleQueueRefresh();
    });
    socket.addEventListener("close", () => {
      setStatus("offline", "Reconnecting…");
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
      // A closed socket can mean an expired session: a plain request finds out.
      refreshQueue();
    });
  }

  window.Inbox = { api, ApiError, toast, formatTime, localizeTimes, tickTimers, refreshQueue };

  document.addEventListener("DOMContentLoaded", () => {
    localizeTimes(document);
    tickTimers();
    setInterval(tickTimers, 1000);
    if (status) {
      connect();
      refreshQueue();
    }
  });
})();
