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

  // One date format in the whole inbox: dd.mm.yyyy, 24-hour times (see
  // bot/inbox/formats.py), in the agent's own time zone.
  const pad = (number) => String(number).padStart(2, "0");

  function formatDate(date) {
    return `${pad(date.getDate())}.${pad(date.getMonth() + 1)}.${date.getFullYear()}`;
  }

  function formatClock(date, seconds) {
    const clock = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
    return seconds ? `${clock}:${pad(date.getSeconds())}` : clock;
  }

  function formatTime(iso, dateOnly) {
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    if (dateOnly) return formatDate(date);
    const today = new Date();
    if (date.toDateString() === today.toDateString()) return formatClock(date);
    return `${formatDate(date)} ${formatClock(date)}`;
  }

  function localizeTimes(root) {
    (root || document).querySelectorAll("time[datetime]").forEach((element) => {
      const dateOnly = element.dataset.format === "date";
      const text = formatTime(element.dateTime, dateOnly);
      if (!text) return;
      element.textContent = text;
      const date = new Date(element.dateTime);
      element.title = dateOnly ? formatDate(date) : `${formatDate(date)} ${formatClock(date, true)}`;
    });
  }

  // How long someone has waited: "< 1 min", "2 min", "20 h 10 min", "3 d 4 h"
  // (formats.wait_duration on the server).
  function duration(milliseconds) {
    const minutes = Math.floor(Math.max(0, milliseconds) / 60000);
    const hours = Math.floor(minutes / 60);
    const days = Math.floor(hours / 24);
    if (days >= 1) return `${days} d ${hours % 24} h`;
    if (hours >= 1) return `${hours} h ${minutes % 60} min`;
    return minutes >= 1 ? `${minutes} min` : "< 1 min";
  }

  // Queue rows that have waited long stand out (formats.wait_level on the server).
  function waitLevel(milliseconds, longAfter, overdueAfter) {
    const seconds = milliseconds / 1000;
    if (seconds >= overdueAfter) return "overdue";
    if (seconds >= longAfter) return "long";
    return "ok";
  }

  function tickTimers() {
    const now = Date.now();
    document.querySelectorAll("[data-since]").forEach((element) => {
      const since = Date.parse(element.dataset.since || "");
      element.textContent = Number.isNaN(since) ? "–" : duration(now - since);
      const row = element.closest(".queue-row");
      const queue = element.closest("[data-queue]");
      if (!row || !queue) return;
      row.dataset.wait =
        row.dataset.state === "waiting" && !Number.isNaN(since)
          ? waitLevel(now - since, Number(queue.dataset.waitLong), Number(queue.dataset.waitOverdue))
          : "ok";
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

  window.Inbox = {
    api,
    ApiError,
    toast,
    formatDate,
    formatTime,
    duration,
    waitLevel,
    localizeTimes,
    tickTimers,
    refreshQueue,
  };

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
