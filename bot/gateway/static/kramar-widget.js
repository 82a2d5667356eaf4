/*
 * Kramar chat widget: one <script> tag, no dependencies.
 *
 *   <script src="https://chat.example.com/widget/kramar-widget.js"
 *           data-server="https://chat.example.com" data-language="uk"
 *           data-color="#0b6e4f" data-greeting="..." defer></script>
 *
 * or window.KramarConfig = {server, language, color, greeting, title, customerToken}
 * before it. The conversation id and token live in localStorage, so the chat
 * survives reloads and moving between the shop's pages. Messages travel over
 * the gateway's WebSocket (/chat/ws); every text is shown with textContent.
 */
(function () {
  "use strict";
  if (window.KramarWidget) return; // embedded twice: keep the first

  var LANGS = ["en", "uk", "pl", "cs"];
  var LANGUAGE_NAMES = { en: "English", uk: "Українська", pl: "Polski", cs: "Čeština" };
  var MAX_TEXT = 5000;
  var MAX_PHOTO_BYTES = 5 * 1024 * 1024;
  var PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp"];
  var PING_MS = 25000;
  var PONG_TIMEOUT_MS = 10000;
  var UNAUTHORIZED = 4401;

  var STRINGS = {
    en: {
      open: "Chat with us",
      close: "Close chat",
      title: "Shop assistant",
      subtitle: "Kramar answers at once; people answer in working hours",
      greeting: "Hi! I'm Kramar, the shop's assistant. Ask me where your order is, or ask for a person.",
      placeholder: "Type your message…",
      send: "Send",
      attach: "Attach a photo",
      language: "Language",
      messages: "Conversation",
      quickReplies: "Quick replies",
      typing: "Kramar is typing…",
      you: "You",
      bot: "Kramar",
      agent: "Support",
      photo: "Photo",
      newMessages: "new messages",
      connecting: "Connecting…",
      offline: "Connection lost. Reconnecting…",
      uploading: "Uploading the photo…",
      expired: "The previous chat could not be opened here, so a new one has started.",
      notSent: "Not delivered",
      tooLong: "A message can be at most 5000 characters.",
      busy: "Please wait for the answer first.",
      unavailable: "The assistant is not answering right now. Please try again in a moment.",
      error: "Something went wrong. Please try again.",
      tooBig: "The photo is larger than 5 MB.",
      badType: "Please choose a JPEG, PNG or WebP photo.",
      uploadFailed: "The photo could not be uploaded. Please try again.",
      tooFast: "You are sending messages faster than we can answer. Please wait a minute and try again.",
      tooManyPhotos: "This chat has reached its limit of photos for now. Please describe the problem in words, or try again later.",
      tooManyChats: "Too many chats were started from your connection. Please try again in a few minutes.",
      continueTelegram: "Continue in Telegram",
      telegramLink: "Open this link in Telegram to carry on there. It works once, within 10 minutes:",
      openTelegram: "Open Telegram",
      telegramFailed: "The Telegram link could not be created. Please try again in a moment.",
    },
    uk: {
      open: "Напишіть нам",
      close: "Закрити чат",
      title: "Помічник магазину",
      subtitle: "Крамар відповідає одразу, люди — в робочий час",
      greeting: "Вітаю! Я Крамар, помічник магазину. Запитайте, де ваше замовлення, або покличте людину.",
      placeholder: "Напишіть повідомлення…",
      send: "Надіслати",
      attach: "Додати фото",
      language: "Мова",
      messages: "Розмова",
      quickReplies: "Швидкі відповіді",
      typing: "Крамар друкує…",
      you: "Ви",
      bot: "Крамар",
      agent: "Підтримка",
      photo: "Фото",
      newMessages: "нових повідомлень",
      connecting: "З'єднання…",
      offline: "Зв'язок втрачено. Відновлюємо…",
      uploading: "Завантажуємо фото…",
      expired: "Попередній чат тут не відкривається, тож ми почали новий.",
      notSent: "Не доставлено",
      tooLong: "Повідомлення може мати щонайбільше 5000 символів.",
      busy: "Зачекайте, будь ласка, на відповідь.",
      unavailable: "Помічник зараз не відповідає. Спробуйте, будь ласка, за хвилину.",
      error: "Щось пішло не так. Спробуйте ще раз.",
      tooBig: "Фото більше за 5 МБ.",
      badType: "Виберіть, будь ласка, фото у форматі JPEG, PNG або WebP.",
      uploadFailed: "Не вдалося завантажити фото. Спробуйте ще раз.",
      tooFast: "Ви надсилаєте повідомлення швидше, ніж ми встигаємо відповідати. Зачекайте хвилину й спробуйте ще раз.",
      tooManyPhotos: "У цій розмові поки що досягнуто ліміту фото. Опишіть проблему словами або спробуйте пізніше.",
      tooManyChats: "З вашого підключення розпочато забагато розмов. Спробуйте ще раз за кілька хвилин.",
      continueTelegram: "Продовжити в Telegram",
      telegramLink: "Відкрийте це посилання в Telegram, щоб продовжити розмову там. Воно спрацює один раз протягом 10 хвилин:",
      openTelegram: "Відкрити Telegram",
      telegramFailed: "Не вдалося створити посилання на Telegram. Спробуйте, будь ласка, ще раз за хвилину.",
    },
    pl: {
      open: "Napisz do nas",
      close: "Zamknij czat",
      title: "Asystent sklepu",
      subtitle: "Kramar odpowiada od razu, konsultanci w godzinach pracy",
      greeting: "Dzień dobry! Jestem Kramar, asystent sklepu. Zapytaj, gdzie jest Twoje zamówienie, albo poproś o konsultanta.",
      placeholder: "Napisz wiadomość…",
      send: "Wyślij",
      attach: "Dodaj zdjęcie",
      language: "Język",
      messages: "Rozmowa",
      quickReplies: "Szybkie odpowiedzi",
      typing: "Kramar pisze…",
      you: "Ty",
      bot: "Kramar",
      agent: "Obsługa",
      photo: "Zdjęcie",
      newMessages: "nowe wiadomości",
      connecting: "Łączenie…",
      offline: "Połączenie przerwane. Łączymy ponownie…",
      uploading: "Wysyłamy zdjęcie…",
      expired: "Poprzedniego czatu nie da się tu otworzyć, więc zaczęliśmy nowy.",
      notSent: "Nie dostarczono",
      tooLong: "Wiadomość może mieć najwyżej 5000 znaków.",
      busy: "Poczekaj, proszę, na odpowiedź.",
      unavailable: "Asystent teraz nie odpowiada. Spróbuj ponownie za chwilę.",
      error: "Coś poszło nie tak. Spróbuj ponownie.",
      tooBig: "Zdjęcie jest większe niż 5 MB.",
      badType: "Wybierz zdjęcie w formacie JPEG, PNG lub WebP.",
      uploadFailed: "Nie udało się wysłać zdjęcia. Spróbuj ponownie.",
      tooFast: "Wysyłasz wiadomości szybciej, niż zdążymy odpowiedzieć. Poczekaj minutę i spróbuj ponownie.",
      tooManyPhotos: "W tej rozmowie osiągnięto na razie limit zdjęć. Opisz problem słowami albo spróbuj później.",
      tooManyChats: "Z Twojego połączenia rozpoczęto zbyt wiele rozmów. Spróbuj ponownie za kilka minut.",
      continueTelegram: "Kontynuuj w Telegramie",
      telegramLink: "Otwórz ten link w Telegramie, aby tam kontynuować rozmowę. Działa jeden raz, przez 10 minut:",
      openTelegram: "Otwórz Telegram",
      telegramFailed: "Nie udało się utworzyć linku do Telegramu. Spróbuj ponownie za chwilę.",
    },
    cs: {
      open: "Napište nám",
      close: "Zavřít chat",
      title: "Asistent obchodu",
      subtitle: "Kramar odpovídá hned, konzultanti v pracovní době",
      greeting: "Dobrý den! Jsem Kramar, asistent obchodu. Zeptejte se, kde je vaše objednávka, nebo požádejte o konzultanta.",
      placeholder: "Napište zprávu…",
      send: "Odeslat",
      attach: "Přidat fotku",
      language: "Jazyk",
      messages: "Konverzace",
      quickReplies: "Rychlé odpovědi",
      typing: "Kramar píše…",
      you: "Vy",
      bot: "Kramar",
      agent: "Podpora",
      photo: "Fotka",
      newMessages: "nové zprávy",
      connecting: "Připojování…",
      offline: "Spojení přerušeno. Znovu se připojujeme…",
      uploading: "Odesíláme fotku…",
      expired: "Předchozí chat tu nejde otevřít, takže jsme začali nový.",
      notSent: "Nedoručeno",
      tooLong: "Zpráva může mít nejvýš 5000 znaků.",
      busy: "Počkejte prosím na odpověď.",
      unavailable: "Asistent teď neodpovídá. Zkuste to prosím za chvíli.",
      error: "Něco se pokazilo. Zkuste to prosím znovu.",
      tooBig: "Fotka je větší než 5 MB.",
      badType: "Vyberte prosím fotku ve formátu JPEG, PNG nebo WebP.",
      uploadFailed: "Fotku se nepodařilo odeslat. Zkuste to prosím znovu.",
      tooFast: "Posíláte zprávy rychleji, než stihneme odpovídat. Počkejte prosím minutu a zkuste to znovu.",
      tooManyPhotos: "V tomto rozhovoru je zatím dosažen limit fotek. Popište prosím problém slovy, nebo to zkuste později.",
      tooManyChats: "Z Vašeho připojení bylo zahájeno příliš mnoho rozhovorů. Zkuste to prosím znovu za několik minut.",
      continueTelegram: "Pokračovat v Telegramu",
      telegramLink: "Otevřete tento odkaz v Telegramu a pokračujte v rozhovoru tam. Funguje jednou, do 10 minut:",
      openTelegram: "Otevřít Telegram",
      telegramFailed: "Odkaz do Telegramu se nepodařilo vytvořit. Zkuste to prosím za chvíli znovu.",
    },
  };

  // ------------------------------------------------------------- configuration

  var script =
    document.currentScript || document.querySelector('script[src*="kramar-widget.js"]');

  function readConfig() {
    var data = (script && script.dataset) || {};
    var given = window.KramarConfig || {};
    var pick = function (name) {
      return given[name] != null ? String(given[name]) : data[name] || "";
    };
    var server = pick("server") || (script && script.src ? new URL(script.src).origin : "");
    var color = pick("color");
    return {
      server: (server || window.location.origin).replace(/\/+$/, ""),
      language: pick("language"),
      color: /^#[0-9a-f]{3,8}$/i.test(color) ? color : "",
      greeting: pick("greeting"),
      title: pick("title"),
      customerToken: pick("customerToken"),
    };
  }

  var config = readConfig();
  var storageKey = "kramar-widget:" + config.server;
  var saved = loadSaved();

  function loadSaved() {
    try {
      return JSON.parse(window.localStorage.getItem(storageKey)) || {};
    } catch (e) {
      return {}; // storage blocked: the chat works for this page only
    }
  }

  function save(changes) {
    Object.keys(changes).forEach(function (key) {
      saved[key] = changes[key];
    });
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(saved));
    } catch (e) {
      /* storage blocked or full: keep it in memory */
    }
  }

  // The shopper's pick wins; then the language the conversation is in (what the
  // bot last answered in); then the page's settings and the browser's.
  function chooseLanguage() {
    var browser = navigator.languages || [navigator.language];
    var candidates = [saved.language, saved.conversationLanguage, config.language, document.documentElement.lang].concat(browser);
    for (var i = 0; i < candidates.length; i++) {
      var code = String(candidates[i] || "").toLowerCase().slice(0, 2);
      if (LANGS.indexOf(code) >= 0) return code;
    }
    return "en";
  }

  var language = chooseLanguage();

  function t(key) {
    return STRINGS[language][key] || STRINGS.en[key];
  }

  // ------------------------------------------------------------- DOM helpers

  function el(tag, attributes) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function safeUrl(raw, base) {
    try {
      var url = new URL(raw, base);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  var LINK = /\bhttps?:\/\/[^\s<>"']+/gi;

  // Text with its http(s) links made clickable; everything else stays plain text.
  function appendLinkified(parent, text) {
    var last = 0;
    text.replace(LINK, function (match, offset) {
      var url = match.replace(/[.,;:!?)\]]+$/, "");
      parent.append(document.createTextNode(text.slice(last, offset)));
      var href = safeUrl(url);
      parent.append(
        href
          ? el("a", { href: href, target: "_blank", rel: "noopener noreferrer nofollow" }, url)
          : document.createTextNode(url)
      );
      last = offset + url.length;
      return match;
    });
    parent.append(document.createTextNode(text.slice(last)));
  }

  var uploadPrefix = config.server + "/chat/uploads/";

  function isUpload(text) {
    return text.indexOf(uploadPrefix) === 0 && /^[A-Za-z0-9_-]+\.(jpg|png|webp)$/.test(text.slice(uploadPrefix.length));
  }

  // ------------------------------------------------------------- the UI

  var host = el("div", { id: "kramar-widget" });
  if (config.color) host.style.setProperty("--kramar-color", config.color);
  var shadow = host.attachShadow({ mode: "open" });
  var stylesheet = el("link", { rel: "stylesheet", href: config.server + "/widget/kramar-widget.css" });
  var root = el("div", { class: "kramar" });
  // Shown once styled, so the page never flashes a bare form. (CSSOM, not a style
  // attribute: shops with a strict CSP allow the one and block the other.)
  root.style.visibility = "hidden";
  stylesheet.addEventListener("load", function () { root.style.visibility = ""; });
  stylesheet.addEventListener("error", function () { root.style.visibility = ""; });

  var badge = el("span", { class: "badge", "aria-hidden": "true", hidden: "" });
  var launcher = el(
    "button",
    { type: "button", class: "launcher", "aria-expanded": "false", "aria-controls": "kramar-panel" },
    el("span", { class: "launcher-icon", "aria-hidden": "true" }),
    badge
  );
  var title = el("h2", { id: "kramar-title", class: "title" });
  var subtitle = el("p", { class: "subtitle" });
  var picker = el("select", { class: "language" });
  LANGS.forEach(function (code) {
    picker.append(el("option", { value: code, lang: code }, LANGUAGE_NAMES[code]));
  });
  var closeButton = el("button", { type: "button", class: "close" }, el("span", { "aria-hidden": "true" }, "×"));
  // Shown once the gateway says it has a Telegram bot (the "ready" frame).
  var telegramButton = el("button", { type: "button", class: "telegram", hidden: "" }, el("span", { "aria-hidden": "true" }));
  var status = el("div", { class: "status", role: "status" });
  var log = el("ol", { class: "log", role: "log", "aria-live": "polite", "aria-relevant": "additions", tabindex: "0" });
  var greetingItem = el("li", { class: "msg from-bot greeting" }, el("div", { class: "text" }));
  log.append(greetingItem);
  var typing = el(
    "div",
    { class: "typing", hidden: "" },
    el("span", { class: "dots", "aria-hidden": "true" }, el("i"), el("i"), el("i")),
    el("span", { class: "typing-text" })
  );
  var fileInput = el("input", { type: "file", accept: PHOTO_TYPES.join(","), hidden: "", tabindex: "-1" });
  var attachButton = el("button", { type: "button", class: "attach" }, el("span", { "aria-hidden": "true" }));
  var input = el("textarea", { class: "input", rows: "1", maxlength: String(MAX_TEXT) });
  var sendButton = el("button", { type: "submit", class: "send" }, el("span", { "aria-hidden": "true" }));
  var form = el("form", { class: "composer" }, attachButton, fileInput, input, sendButton);
  var panel = el(
    "section",
    { id: "kramar-panel", class: "panel", role: "dialog", "aria-labelledby": "kramar-title", hidden: "" },
    el("header", { class: "header" }, el("div", { class: "heading" }, title, subtitle), telegramButton, picker, closeButton),
    status,
    log,
    typing,
    form
  );
  root.append(panel, launcher);
  shadow.append(stylesheet, root);

  function applyStrings() {
    root.setAttribute("lang", language);
    picker.value = language;
    title.textContent = config.title || t("title");
    subtitle.textContent = t("subtitle");
    picker.setAttribute("aria-label", t("language"));
    closeButton.setAttribute("aria-label", t("close"));
    telegramButton.setAttribute("aria-label", t("continueTelegram"));
    telegramButton.setAttribute("title", t("continueTelegram"));
    log.setAttribute("aria-label", t("messages"));
    typing.lastChild.textContent = t("typing");
    attachButton.setAttribute("aria-label", t("attach"));
    input.setAttribute("placeholder", t("placeholder"));
    input.setAttribute("aria-label", t("placeholder"));
    sendButton.setAttribute("aria-label", t("send"));
    greetingItem.firstChild.textContent = config.greeting || t("greeting");
    updateBadge();
    if (status.dataset.key) status.textContent = t(status.dataset.key);
  }

  // The widget speaks the conversation's language once the bot has answered in it,
  // unless the shopper picked a language themselves.
  function followLanguage(code) {
    if (LANGS.indexOf(code) < 0 || saved.language) return;
    if (saved.conversationLanguage !== code) save({ conversationLanguage: code });
    if (code === language) return;
    language = code;
    applyStrings();
  }

  function setStatus(key) {
    status.dataset.key = key || "";
    status.textContent = key ? t(key) : "";
  }

  function notice(key) {
    var item = el("li", { class: "notice" }, t(key));
    log.append(item);
    scrollDown();
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  // ------------------------------------------------------------- messages

  var seen = {}; // stored message ids already shown
  var lastId = 0;
  var pending = []; // {clientId, text, item}: sent, waiting for the server's copy
  var titles = {}; // button payload -> title, to show "/order_status" as its title
  var unread = 0;

  function renderMessage(message) {
    var from = message.from === "bot" || message.from === "agent" ? message.from : "customer";
    if (from === "bot" && message.announcement) {
      // "Olena from our team has joined": about the conversation, not a reply in it.
      var line = el("li", { class: "notice announcement" }, String(message.text || ""));
      log.append(line);
      scrollDown();
      return line;
    }
    var item = el("li", { class: "msg from-" + from });
    if (from === "agent") {
      item.append(el("span", { class: "who" }, String(message.agent || t("agent"))));
    } else {
      item.append(el("span", { class: "sr-only" }, (from === "bot" ? t("bot") : t("you")) + ": "));
    }
    var text = String(message.text || "");
    if (from === "customer" && Object.prototype.hasOwnProperty.call(titles, text)) text = titles[text];
    var image = from === "bot" ? message.image && safeUrl(message.image) : null;
    if (from === "customer" && isUpload(text)) {
      image = text;
      text = "";
    }
    if (text) {
      var body = el("div", { class: "text" });
      appendLinkified(body, text);
      item.append(body);
    }
    if (image) {
      item.append(
        el("a", { href: image, target: "_blank", rel: "noopener noreferrer", class: "photo" },
          el("img", { src: image, alt: t("photo"), loading: "lazy" }))
      );
    }
    var buttons = Array.isArray(message.buttons) ? message.buttons : [];
    if (from === "bot" && buttons.length) {
      var chips = el("div", { class: "chips", role: "group", "aria-label": t("quickReplies") });
      buttons.forEach(function (button) {
        var label = String(button.title || button.payload);
        titles[String(button.payload)] = label;
        var chip = el("button", { type: "button", class: "chip" }, label);
        chip.addEventListener("click", function () {
          sendText(String(button.payload), label);
        });
        chips.append(chip);
      });
      item.append(chips);
    }
    log.append(item);
    scrollDown();
    return item;
  }

  // Quick replies make sense only under the newest bot messages.
  function pruneChips() {
    var chips = [];
    Array.prototype.forEach.call(log.children, function (item) {
      if (item.classList.contains("from-customer")) {
        chips.forEach(function (c) { c.remove(); });
        chips = [];
      }
      var own = item.querySelector(".chips");
      if (own) chips.push(own);
    });
  }

  function onMessage(message, live) {
    if (typeof message.id !== "number" || seen[message.id]) return;
    seen[message.id] = true;
    lastId = Math.max(lastId, message.id);
    if (message.from === "customer") {
      for (var i = 0; i < pending.length; i++) {
        if (pending[i].text === message.text) {
          pending[i].item.classList.remove("pending");
          pending.splice(i, 1);
          return; // already on screen
        }
      }
    }
    if (message.from !== "customer") followLanguage(message.language);
    renderMessage(message);
    if (message.from === "customer") {
      pruneChips();
    } else {
      showTyping(false);
      if (live && panel.hidden) {
        unread += 1;
        updateBadge();
      }
    }
  }

  function updateBadge() {
    badge.hidden = unread === 0;
    badge.textContent = unread > 9 ? "9+" : String(unread);
    launcher.setAttribute("aria-label", t("open") + (unread ? " (" + unread + " " + t("newMessages") + ")" : ""));
  }

  var typingTimer = null;

  function showTyping(active) {
    typing.hidden = !active;
    clearTimeout(typingTimer);
    if (active) {
      typingTimer = setTimeout(function () { typing.hidden = true; }, 60000);
      scrollDown();
    }
  }

  function onError(frame) {
    if (frame.code === "unauthorized") return; // the close (4401) that follows starts over
    for (var i = 0; i < pending.length; i++) {
      if (frame.client_id && pending[i].clientId === frame.client_id) {
        var item = pending[i].item;
        item.classList.remove("pending");
        item.classList.add("failed");
        item.append(el("span", { class: "failed-note" }, t("notSent")));
        pending.splice(i, 1);
        break;
      }
    }
    var known = { too_long: "tooLong", busy: "busy", unavailable: "unavailable", rate_limited: "tooFast" };
    notice(known[frame.code] || "error");
  }

  // ------------------------------------------------------------- the connection

  var socket = null;
  var ready = false;
  var liveHistory = false; // after a reconnect, the "history" is news
  var outbox = [];
  var attempts = 0;
  var retryTimer = null;
  var pingTimer = null;
  var pongTimer = null;
  var starting = null;
  var restarted = false;

  function ensureConversation() {
    if (saved.conversation_id && saved.token) return Promise.resolve();
    if (!starting) {
      starting = fetch(config.server + "/chat/conversations", { method: "POST" })
        .then(function (response) {
          if (response.status === 429) tooManyChats();
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (body) {
          save({ conversation_id: body.conversation_id, token: body.token, sentCustomerToken: "" });
        })
        .finally(function () { starting = null; });
    }
    return starting;
  }

  // Said once, not at every retry; the retries go on (the limit drains).
  var toldTooManyChats = false;
  function tooManyChats() {
    if (toldTooManyChats) return;
    toldTooManyChats = true;
    notice("tooManyChats");
  }

  // `now`: the customer is waiting, so a scheduled retry happens at once.
  function start(now) {
    if (now && retryTimer && !socket) {
      clearTimeout(retryTimer);
      retryTimer = null;
    }
    if (socket || retryTimer) return;
    ensureConversation().then(connect, function () {
      setStatus("offline");
      retryLater();
    });
  }

  function connect() {
    if (socket || !saved.conversation_id) return;
    setStatus(lastId ? "offline" : "connecting");
    var url = config.server.replace(/^http/, "ws") + "/chat/ws";
    var opened = new WebSocket(url);
    socket = opened;
    liveHistory = lastId > 0;
    opened.onopen = function () {
      opened.send(JSON.stringify({ type: "hello", conversation_id: saved.conversation_id, token: saved.token, after: lastId }));
    };
    opened.onmessage = function (event) {
      if (opened === socket) onFrame(event.data);
    };
    opened.onclose = function (event) {
      if (opened !== socket) return;
      dropSocket();
      if (event.code === UNAUTHORIZED) restart();
      else retryLater();
    };
  }

  function dropSocket() {
    socket = null;
    ready = false;
    clearInterval(pingTimer);
    clearTimeout(pongTimer);
    showTyping(false);
  }

  function retryLater() {
    setStatus("offline");
    var delay = Math.min(30000, 1000 * Math.pow(2, attempts)) * (0.5 + Math.random() / 2);
    attempts += 1;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () {
      retryTimer = null;
      start();
    }, delay);
  }

  // The stored conversation is not ours (copied, or the server's secret changed).
  function restart() {
    save({ conversation_id: null, token: null, sentCustomerToken: "" });
    lastId = 0;
    seen = {};
    if (restarted) {
      notice("error");
      return; // twice in a row: something is wrong on the server, stop trying
    }
    restarted = true;
    notice("expired");
    start();
  }

  function onFrame(raw) {
    var frame;
    try {
      frame = JSON.parse(raw);
    } catch (e) {
      return;
    }
    if (frame.type === "message") onMessage(frame, ready || liveHistory);
    else if (frame.type === "ready") onReady(frame);
    else if (frame.type === "typing") showTyping(frame.active !== false);
    else if (frame.type === "error") onError(frame);
    else if (frame.type === "pong") clearTimeout(pongTimer);
  }

  function onReady(frame) {
    ready = true;
    telegramButton.hidden = frame.telegram !== true;
    attempts = 0;
    restarted = false;
    setStatus("");
    pruneChips();
    clearInterval(pingTimer);
    // Browsers do not say when a connection silently died; a missing pong does.
    pingTimer = setInterval(function () {
      if (!socket || !ready) return;
      socket.send(JSON.stringify({ type: "ping" }));
      clearTimeout(pongTimer);
      pongTimer = setTimeout(function () {
        var dead = socket;
        dropSocket();
        if (dead) dead.close();
        retryLater();
      }, PONG_TIMEOUT_MS);
    }, PING_MS);
    flush();
  }

  function flush() {
    while (ready && socket && outbox.length) {
      var frame = outbox.shift();
      if (frame.metadata && frame.metadata.customer_token) {
        save({ sentCustomerToken: frame.metadata.customer_token });
      }
      socket.send(JSON.stringify(frame));
    }
  }

  function queue(frame) {
    outbox.push(frame);
    flush();
    start(true);
  }

  var counter = 0;

  function sendText(text, shown) {
    if (!text.trim()) return;
    if (text.length > MAX_TEXT) {
      notice("tooLong");
      return;
    }
    counter += 1;
    var clientId = "c" + Date.now().toString(36) + counter;
    var item = renderMessage({ from: "customer", text: shown || text });
    item.classList.add("pending");
    pending.push({ clientId: clientId, text: text, item: item });
    pruneChips();
    var metadata = { language: language };
    if (config.customerToken && saved.sentCustomerToken !== config.customerToken) {
      metadata.customer_token = config.customerToken; // the first message tells who is logged in
    }
    queue({ type: "message", text: text, metadata: metadata, client_id: clientId });
  }

  // ------------------------------------------------------------- photos

  function uploadPhoto(file) {
    if (PHOTO_TYPES.indexOf(file.type) < 0) return notice("badType");
    if (file.size > MAX_PHOTO_BYTES) return notice("tooBig");
    setStatus("uploading");
    ensureConversation()
      .then(function () {
        var body = new FormData();
        body.append("file", file, file.name || "photo");
        return fetch(config.server + "/chat/conversations/" + encodeURIComponent(saved.conversation_id) + "/attachments", {
          method: "POST",
          headers: { Authorization: "Bearer " + saved.token },
          body: body,
        });
      })
      .then(function (response) {
        if (status.dataset.key === "uploading") setStatus("");
        if (response.status === 413) return notice("tooBig");
        if (response.status === 415) return notice("badType");
        if (response.status === 429) return notice("tooManyPhotos");
        if (!response.ok) return notice("uploadFailed");
        return response.json().then(function (body) {
          var url = safeUrl(body.url, config.server + "/");
          if (url) sendText(url);
        });
      })
      .catch(function () {
        if (status.dataset.key === "uploading") setStatus("");
        notice("uploadFailed");
      });
  }

  // ------------------------------------------------------------- continue in Telegram

  // Asks the gateway for a one-time deep link into the shop's Telegram bot and shows
  // it as a link in the chat (a pop-up opened after a request would be blocked).
  function continueInTelegram() {
    telegramButton.disabled = true;
    ensureConversation()
      .then(function () {
        return fetch(config.server + "/chat/conversations/" + encodeURIComponent(saved.conversation_id) + "/telegram-link", {
          method: "POST",
          headers: { Authorization: "Bearer " + saved.token },
        });
      })
      .then(function (response) {
        if (response.status === 429) return notice("tooFast");
        if (!response.ok) return notice("telegramFailed");
        return response.json().then(function (body) {
          var url = safeUrl(body.url);
          if (!url || new URL(url).hostname !== "t.me") return notice("telegramFailed");
          var link = el("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "telegram-link" }, t("openTelegram"));
          log.append(el("li", { class: "notice telegram-notice" }, t("telegramLink") + " ", link));
          scrollDown();
        });
      })
      .catch(function () { notice("telegramFailed"); })
      .finally(function () { telegramButton.disabled = false; });
  }

  // ------------------------------------------------------------- behaviour

  function openPanel(focus) {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("open");
    save({ open: true });
    unread = 0;
    updateBadge();
    start(true);
    scrollDown();
    if (focus) input.focus();
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("open");
    save({ open: false });
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.hidden) openPanel(true);
    else closePanel();
  });
  closeButton.addEventListener("click", closePanel);
  telegramButton.addEventListener("click", continueInTelegram);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      event.preventDefault();
      closePanel();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    resizeInput();
    sendText(text.trim());
    input.focus();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit"));
    }
  });
  function resizeInput() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 120) + "px";
  }
  input.addEventListener("input", resizeInput);
  attachButton.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    var file = fileInput.files && fileInput.files[0];
    fileInput.value = "";
    if (file) uploadPhoto(file);
  });
  picker.addEventListener("change", function () {
    language = picker.value;
    save({ language: language });
    applyStrings();
    // The bot answers in the chosen language from now on.
    if (saved.conversation_id) queue({ type: "language", language: language });
  });
  window.addEventListener("online", function () {
    if (socket) return;
    attempts = 0;
    clearTimeout(retryTimer);
    retryTimer = null;
    start();
  });

  function mount() {
    document.body.append(host);
    applyStrings();
    if (saved.open) openPanel(false);
    else if (saved.conversation_id) start(); // an agent's reply shows as a badge
  }

  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);

  window.KramarWidget = {
    open: function () { openPanel(true); },
    close: closePanel,
  };
})();
