// Xianfeng sandbox chat page: talk to the bot as any user.
// Everything is built with createElement/textContent; bot text is rendered from
// Telegram entities (the allowed tags only), never assigned as HTML.
"use strict";

(() => {
  const API = "/sandbox/api";
  const $ = (id) => document.getElementById(id);
  const state = {
    bot: null,
    commands: {},
    userId: null,
    chatId: null,
    version: -1,
    seenAnswers: new Set(),
    pollToken: 0,
    users: [],
  };

  // ------------------------------------------------------------------ HTTP

  async function api(method, path, body) {
    const options = { method, headers: {} };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    const response = await fetch(API + path, options);
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  // ------------------------------------------------------------------ small UI helpers

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  let toastTimer = null;
  function toast(text) {
    const box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 2600);
  }

  function alertBox(text) {
    $("alertText").textContent = text;
    $("alertBack").hidden = false;
    $("alertOk").focus();
  }

  // t.me/<bot>?start=CODE deep links stay on this page (it offers to send /start CODE).
  function deepLinkCode(url) {
    try {
      const parsed = new URL(url, window.location.href);
      const bot = state.bot ? state.bot.username.toLowerCase() : "";
      const path = parsed.pathname.replace(/^\/+|\/+$/g, "").toLowerCase();
      if (/^(www\.)?(t|telegram)\.me$/.test(parsed.hostname) && path === bot) {
        return parsed.searchParams.get("start");
      }
    } catch (e) { /* not a URL */ }
    return null;
  }

  function safeUrl(url) {
    const code = deepLinkCode(url);
    if (code !== null) return `${window.location.pathname}?start=${encodeURIComponent(code)}`;
    try {
      const parsed = new URL(url, window.location.href);
      return ["http:", "https:", "tg:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function linkTarget(a, href) {
    if (href.startsWith("/")) {
      a.addEventListener("click", (event) => {
        event.preventDefault();
        window.history.replaceState(null, "", href);
        updateDeepLink();
      });
    } else {
      a.target = "_blank";
      a.rel = "noopener noreferrer";
    }
  }

  // ------------------------------------------------------------------ entities -> DOM

  function entityElement(entity) {
    switch (entity.type) {
      case "bold": return el("b");
      case "italic": return el("i");
      case "underline": return el("u");
      case "strikethrough": return el("s");
      case "code": return el("code");
      case "pre": return el("pre");
      case "blockquote":
      case "expandable_blockquote": return el("blockquote");
      case "spoiler": {
        const span = el("span", "spoiler");
        span.addEventListener("click", () => span.classList.add("shown"));
        return span;
      }
      case "text_link":
      case "url": {
        const href = safeUrl(entity.url || "");
        if (!href) return el("span");
        const a = el("a");
        a.href = href;
        linkTarget(a, href);
        return a;
      }
      case "bot_command": {
        const span = el("span", "cmd");
        span.addEventListener("click", () => sendText(span.textContent));
        return span;
      }
      default: return el("span");
    }
  }

  // Offsets are UTF-16 code units, exactly like JavaScript string indices.
  function renderEntities(text, entities) {
    const fragment = document.createDocumentFragment();
    const sorted = (entities || []).slice().sort((a, b) => a.offset - b.offset || b.length - a.length);
    function build(parent, start, end, list) {
      let pos = start;
      let i = 0;
      while (i < list.length) {
        const entity = list[i];
        if (entity.offset < pos) { i += 1; continue; } // overlapping: ignore
        if (entity.offset >= end) break;
        if (entity.offset > pos) parent.appendChild(document.createTextNode(text.slice(pos, entity.offset)));
        const entityEnd = Math.min(end, entity.offset + entity.length);
        const inner = [];
        let j = i + 1;
        while (j < list.length && list[j].offset < entityEnd) {
          if (list[j].offset + list[j].length <= entityEnd) inner.push(list[j]);
          j += 1;
        }
        const node = entityElement(entity);
        build(node, entity.offset, entityEnd, inner);
        parent.appendChild(node);
        pos = entityEnd;
        i = j;
      }
      if (pos < end) parent.appendChild(document.createTextNode(text.slice(pos, end)));
    }
    build(fragment, 0, text.length, sorted);
    return fragment;
  }

  // ------------------------------------------------------------------ messages

  function fileUrl(fileId) {
    return `${API}/files/${encodeURIComponent(fileId)}`;
  }

  function renderMedia(message, bubble) {
    const media = message.media || {};
    if (media.sticker) {
      bubble.appendChild(el("div", "sticker", media.sticker.emoji || "🖼"));
    } else if (media.photo) {
      const best = media.photo[media.photo.length - 1];
      const img = el("img", "photo");
      img.alt = "photo";
      img.src = fileUrl(best.file_id);
      bubble.appendChild(img);
    } else if (media.document) {
      const a = el("a", "doc", `📄 ${media.document.file_name || "file"} (${media.document.file_size || 0} B)`);
      a.href = fileUrl(media.document.file_id);
      a.download = media.document.file_name || "file";
      bubble.appendChild(a);
    } else if (media.voice) {
      bubble.appendChild(el("span", null, `🎤 voice, ${media.voice.duration}s`));
    } else if (media.contact) {
      bubble.appendChild(el("span", null, `👤 ${media.contact.first_name} ${media.contact.phone_number}`));
    } else if (media.location) {
      bubble.appendChild(el("span", null, `📍 ${media.location.latitude}, ${media.location.longitude}`));
    } else if (media.new_chat_members) {
      bubble.appendChild(el("span", null, `${message.from.first_name} added ${media.new_chat_members.map((u) => u.first_name).join(", ")}`));
    } else if (media.left_chat_member) {
      bubble.appendChild(el("span", null, `${message.from.first_name} removed ${media.left_chat_member.first_name}`));
    }
    if (message.caption) {
      const caption = el("div", "caption");
      caption.appendChild(renderEntities(message.caption, message.caption_entities));
      bubble.appendChild(caption);
    }
  }

  function renderKeyboard(message) {
    const markup = message.reply_markup;
    if (!markup || !markup.inline_keyboard) return null;
    const box = el("div", "ikb");
    for (const row of markup.inline_keyboard) {
      const rowBox = el("div", "ikb-row");
      for (const button of row) {
        if (button.callback_data !== undefined) {
          const b = el("button", null, button.text);
          b.type = "button";
          b.addEventListener("click", () => press(message.message_id, button.callback_data));
          rowBox.appendChild(b);
        } else if (button.url && safeUrl(button.url)) {
          const href = safeUrl(button.url);
          const a = el("a", null, href.startsWith("/") ? button.text : `${button.text} ↗`);
          a.href = href;
          linkTarget(a, href);
          rowBox.appendChild(a);
        } else {
          rowBox.appendChild(el("span", null, button.text));
        }
      }
      box.appendChild(rowBox);
    }
    return box;
  }

  function renderMessage(message) {
    const service = message.kind === "new_chat_members" || message.kind === "left_chat_member";
    const side = service ? "service" : message.from_bot ? "bot" : "user";
    const wrap = el("div", `msg ${side}${message.deleted ? " deleted" : ""}`);
    wrap.dataset.id = String(message.message_id);
    const bubble = el("div", "bubble");
    if (message.deleted) {
      bubble.textContent = "message deleted";
    } else {
      if (message.text !== null && message.text !== undefined) {
        bubble.appendChild(renderEntities(message.text, message.entities));
      } else {
        renderMedia(message, bubble);
      }
      const meta = [];
      const isGroup = state.chatId !== state.userId;
      if (isGroup && !message.from_bot && !service) meta.unshift(message.from.first_name);
      if (message.edited) meta.push("edited");
      const time = new Date(message.date * 1000);
      meta.push(time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
      if (!service) bubble.appendChild(el("span", "meta", meta.join(" · ")));
    }
    wrap.appendChild(bubble);
    if (!message.deleted) {
      const keyboard = renderKeyboard(message);
      if (keyboard) wrap.appendChild(keyboard);
    }
    return wrap;
  }

  function renderTranscript(data) {
    const log = $("log");
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.replaceChildren();
    if (!data.messages.length) {
      log.appendChild(el("div", "empty", "No messages yet. Send /start to begin."));
    }
    for (const message of data.messages) log.appendChild(renderMessage(message));
    if (nearBottom || state.version < 0) log.scrollTop = log.scrollHeight;
    renderReplyKeyboard(data.chat && data.chat.reply_keyboard);
    // Callback answers: toast or alert for the ones not seen yet.
    for (const message of data.messages) {
      for (const answer of message.callback_answers || []) {
        if (!answer.answered || state.seenAnswers.has(answer.callback_query_id)) continue;
        state.seenAnswers.add(answer.callback_query_id);
        if (state.version < 0 || answer.user_id !== state.userId) continue; // old ones on first load
        const answerUrl = answer.url ? safeUrl(answer.url) : null;
        if (answerUrl && answerUrl.startsWith("/")) {
          window.history.replaceState(null, "", answerUrl);
          updateDeepLink();
        } else if (answerUrl) {
          window.open(answerUrl, "_blank", "noopener");
        }
        if (answer.text) {
          if (answer.show_alert) alertBox(answer.text);
          else toast(answer.text);
        }
      }
    }
  }

  function renderReplyKeyboard(markup) {
    const box = $("replyKb");
    box.replaceChildren();
    if (!markup || !markup.keyboard) { box.hidden = true; return; }
    for (const row of markup.keyboard) {
      for (const button of row) {
        const b = el("button", null, button.text);
        b.type = "button";
        // request_contact: Telegram sends the user's own contact, not the label.
        b.addEventListener("click", () => (button.request_contact ? sendKind("contact") : sendText(button.text)));
        box.appendChild(b);
      }
    }
    box.hidden = false;
  }

  // ------------------------------------------------------------------ live updates

  async function poll(token) {
    while (token === state.pollToken) {
      try {
        const data = await api("GET", `/chats/${state.chatId}/wait?version=${state.version}&timeout=25`);
        if (token !== state.pollToken) return;
        if (data.chat && (data.changed || state.version < 0)) {
          renderTranscript(data);
          state.version = data.version;
        } else if (!data.chat) {
          await new Promise((r) => setTimeout(r, 500));
        }
      } catch (error) {
        if (token !== state.pollToken) return;
        await new Promise((r) => setTimeout(r, 1500));
      }
    }
  }

  function restartPolling() {
    state.pollToken += 1;
    state.version = -1;
    state.seenAnswers.clear();
    $("log").replaceChildren(el("div", "empty", "Loading…"));
    poll(state.pollToken);
  }

  // ------------------------------------------------------------------ actions

  async function sendText(text) {
    text = (text || "").trim();
    if (!text || !state.userId) return;
    const code = deepLinkCode(text);
    if (code !== null && /^\S+$/.test(text)) {
      // Pasting a deep link is like opening it: offer /start CODE.
      window.history.replaceState(null, "", `${window.location.pathname}?start=${encodeURIComponent(code)}`);
      updateDeepLink();
      return;
    }
    try {
      await api("POST", `/chats/${state.chatId}/messages`, { user_id: state.userId, kind: "text", text });
    } catch (error) {
      toast(error.message);
    }
  }

  async function sendKind(kind, extra) {
    try {
      await api("POST", `/chats/${state.chatId}/messages`, { user_id: state.userId, kind, ...(extra || {}) });
    } catch (error) {
      toast(error.message);
    }
    $("attach").open = false;
  }

  async function press(messageId, data) {
    try {
      await api("POST", `/chats/${state.chatId}/press`, { user_id: state.userId, message_id: messageId, data });
    } catch (error) {
      toast(error.message);
    }
  }

  function readFile(input) {
    const file = input.files && input.files[0];
    if (!file) return;
    const reader = new FileReader();
    reader.onload = () => {
      const base64 = String(reader.result).split(",", 2)[1] || "";
      sendKind(input.dataset.kind, { data_base64: base64, file_name: file.name, mime_type: file.type || undefined });
      input.value = "";
    };
    reader.readAsDataURL(file);
  }

  // ------------------------------------------------------------------ users & chats

  function userLabel(user) {
    const name = [user.first_name, user.last_name].filter(Boolean).join(" ");
    return `${name} (${user.id}${user.language_code ? ", " + user.language_code : ""})`;
  }

  async function loadUsers(selectId) {
    const data = await api("GET", "/users?limit=500");
    state.users = data.users;
    const select = $("userSelect");
    select.replaceChildren();
    if (!state.users.length) {
      const option = el("option", null, "— create a user —");
      option.value = "";
      select.appendChild(option);
      $("newUser").open = true;
    }
    for (const user of state.users) {
      const option = el("option", null, userLabel(user));
      option.value = String(user.id);
      select.appendChild(option);
    }
    const wanted = selectId || Number(localStorage.getItem("sandbox.user")) || null;
    const found = state.users.find((u) => u.id === wanted) || state.users[0];
    if (found) {
      select.value = String(found.id);
      await chooseUser(found.id);
    }
  }

  async function loadChats() {
    const data = await api("GET", "/chats");
    const select = $("chatSelect");
    select.replaceChildren();
    const own = el("option", null, "Private chat");
    own.value = String(state.userId);
    select.appendChild(own);
    const groups = data.chats.filter((c) => c.type !== "private" && c.member_ids.includes(state.userId));
    for (const chat of groups) {
      const option = el("option", null, chat.title);
      option.value = String(chat.id);
      select.appendChild(option);
    }
    select.hidden = groups.length === 0;
    select.value = String(state.chatId);
  }

  async function chooseUser(id) {
    state.userId = id;
    state.chatId = id;
    localStorage.setItem("sandbox.user", String(id));
    const user = state.users.find((u) => u.id === id);
    $("blockBtn").textContent = user && user.blocked ? "Unblock" : "Block";
    updateDeepLink();
    renderCommands();
    await loadChats().catch(() => {});
    restartPolling();
  }

  function renderCommands() {
    const box = $("commands");
    box.replaceChildren();
    const user = state.users.find((u) => u.id === state.userId);
    const lang = user && user.language_code ? user.language_code.slice(0, 2) : "";
    const c = state.commands;
    const list = c[`chat|${state.userId}||${lang}`] || c[`chat|${state.userId}||`]
      || c[`default|||${lang}`] || c["default|||"] || [];
    for (const command of list) {
      const b = el("button", null, `/${command.command}`);
      b.type = "button";
      b.title = command.description;
      b.addEventListener("click", () => { $("text").value = `/${command.command}`; $("text").focus(); box.hidden = true; });
      box.appendChild(b);
    }
    box.dataset.count = String(list.length);
  }

  // ------------------------------------------------------------------ deep links

  function startCode() {
    return new URLSearchParams(window.location.search).get("start");
  }

  function updateDeepLink() {
    const code = startCode();
    const user = state.users.find((u) => u.id === state.userId);
    if (!code || !user) { $("deepLink").hidden = true; return; }
    $("deepLinkText").textContent = `Deep link: send "/start ${code}" as ${userLabel(user)}?`;
    $("deepLink").hidden = false;
  }

  function clearDeepLink() {
    const url = new URL(window.location.href);
    url.searchParams.delete("start");
    window.history.replaceState(null, "", url.pathname + url.search);
    $("deepLink").hidden = true;
  }

  // ------------------------------------------------------------------ wiring

  async function init() {
    try {
      const info = await api("GET", "/info");
      state.bot = info.bot;
      state.commands = info.commands || {};
      $("botName").textContent = info.bot.first_name;
      $("botUser").textContent = `@${info.bot.username}`;
      $("botAvatar").textContent = (info.bot.first_name || "B").slice(0, 1);
      document.title = `${info.bot.first_name} · sandbox`;
    } catch (error) {
      toast(`Sandbox unreachable: ${error.message}`);
    }
    const form = $("userForm");
    form.elements.id.value = String(100000 + Math.floor(Math.random() * 900000));
    form.elements.first_name.value = "测试用户";
    await loadUsers();
  }

  $("userForm").addEventListener("submit", async (event) => {
    event.preventDefault();
    const f = event.target.elements;
    const body = {
      id: Number(f.id.value),
      first_name: f.first_name.value.trim(),
      last_name: f.last_name.value.trim() || undefined,
      username: f.username.value.trim() || undefined,
      language_code: f.language_code.value || undefined,
    };
    try {
      const user = await api("POST", "/users", body);
      $("newUser").open = false;
      f.id.value = String(100000 + Math.floor(Math.random() * 900000));
      await loadUsers(user.id);
    } catch (error) {
      toast(error.message);
    }
  });

  $("userSelect").addEventListener("change", (event) => {
    const id = Number(event.target.value);
    if (id) chooseUser(id);
  });

  $("chatSelect").addEventListener("change", (event) => {
    state.chatId = Number(event.target.value);
    restartPolling();
  });

  $("blockBtn").addEventListener("click", async () => {
    const user = state.users.find((u) => u.id === state.userId);
    if (!user) return;
    try {
      const updated = await api("POST", `/users/${user.id}/block`, { blocked: !user.blocked });
      Object.assign(user, updated);
      $("blockBtn").textContent = updated.blocked ? "Unblock" : "Block";
      toast(updated.blocked ? "You blocked the bot" : "You unblocked the bot");
    } catch (error) {
      toast(error.message);
    }
  });

  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const box = $("text");
    const text = box.value;
    box.value = "";
    $("commands").hidden = true;
    sendText(text);
  });

  $("text").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });

  $("text").addEventListener("input", (event) => {
    const value = event.target.value;
    const box = $("commands");
    box.hidden = !(value.startsWith("/") && !value.includes(" ") && Number(box.dataset.count || 0) > 0);
  });

  for (const button of document.querySelectorAll(".attach-menu button")) {
    button.addEventListener("click", () => sendKind(button.dataset.kind));
  }
  for (const input of document.querySelectorAll(".attach-menu input[type=file]")) {
    input.addEventListener("change", () => readFile(input));
  }

  $("deepLinkSend").addEventListener("click", async () => {
    const code = startCode();
    if (code) await sendText(`/start ${code}`);
    clearDeepLink();
  });
  $("deepLinkDismiss").addEventListener("click", clearDeepLink);
  $("alertOk").addEventListener("click", () => { $("alertBack").hidden = true; });

  init();
})();
