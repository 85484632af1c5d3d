/* The staff console of the live handoff (web/staff.py): sign-in, presence, the queue, one open chat
   and the callback requests. JSON to /staff/api/ with the session's CSRF token in X-CSRF-Token.
   Everything a citizen or the server wrote is shown through textContent, never as markup. */
(function () {
  "use strict";

  var QUEUE_EVERY = 1000; // ms: a new chat shows within two seconds
  var MESSAGES_EVERY = 1000;
  var PRESENCE_EVERY = 30000; // also the heartbeat: the store forgets a console silent for 90 s
  var CALLBACKS_EVERY = 15000;
  var SEARCH_DELAY = 300;
  var STATUS_NAMES = { queued: "Đang chờ", assigned: "Đang trao đổi" };
  var CALLBACK_NAMES = { open: "Chưa gọi", reached: "Đã gọi được", not_reached: "Không liên lạc được" };

  var root, csrf, account = null;
  var timers = {};
  var openChat = null; // {id, after, seen: {message id: true}}
  var queueRows = {}; // chat id -> its <li>
  var busy = {};

  function $(id) { return document.getElementById(id); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function say(text) { $("console-status").textContent = text; }

  // ------------------------------------------------------------------ the API

  function ApiError(status, message) { this.status = status; this.message = message; }

  function call(method, path, body) {
    var options = { method: method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method === "POST") {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = csrf;
      options.body = JSON.stringify(body || {});
    }
    return fetch(path, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (response.ok) return data;
        if (response.status === 401 && account) signedOut("Phiên làm việc đã hết. Vui lòng đăng nhập lại.");
        throw new ApiError(response.status, (data && data.error) || "Không thực hiện được (mã " + response.status + ").");
      });
    }, function () {
      throw new ApiError(0, "Mất kết nối tới máy chủ. Đang thử lại…");
    });
  }

  function failed(error) { say(error && error.message ? error.message : "Không thực hiện được."); }

  var offline = false; // a poll could not reach the server: its message stays until one succeeds
  function every(name, ms, task) {
    stop(name);
    var running = false;
    function tick() {
      if (running) return; // a slow answer: skip a round rather than pile requests up
      running = true;
      Promise.resolve().then(task)
        .then(function () { if (offline) { offline = false; say(""); } }) // back: clear "Mất kết nối"
        .catch(function (e) { if (e && e.status === 0) { offline = true; say(e.message); } })
        .then(function () { running = false; });
    }
    tick();
    timers[name] = window.setInterval(tick, ms);
  }

  function stop(name) {
    if (timers[name]) window.clearInterval(timers[name]);
    delete timers[name];
  }

  // ------------------------------------------------------------------ sign-in

  function showLogin(message) {
    $("work-view").hidden = true;
    $("login-view").hidden = false;
    var error = $("login-error");
    error.hidden = !message;
    error.textContent = message || "";
  }

  function login(event) {
    event.preventDefault();
    var name = $("login-name").value, password = $("login-password").value;
    if (!name || !password) { showLogin("Vui lòng nhập tên đăng nhập và mật khẩu."); return; }
    call("POST", "/staff/api/login", { name: name, password: password }).then(function (data) {
      csrf = data.csrf_token;
      $("login-password").value = "";
      start(data);
      $("work-title").focus();
    }, function (error) {
      showLogin(error.message);
      $("login-password").focus();
    });
  }

  function logout() {
    call("POST", "/staff/api/logout").then(function () { signedOut(""); }, failed);
  }

  function signedOut(message) {
    Object.keys(timers).forEach(stop);
    account = null;
    closeChat();
    showLogin(message);
    $("login-name").focus();
  }

  function start(data) {
    account = data;
    $("login-view").hidden = true;
    $("work-view").hidden = false;
    $("who").textContent = account.name;
    $("who-centre").textContent = account.centre_name;
    $("display-name").value = stored("display", account.display_name);
    var presence = stored("presence", "online");
    var radio = $("presence-" + presence) || $("presence-online");
    radio.checked = true;
    every("presence", PRESENCE_EVERY, sendPresence);
    every("queue", QUEUE_EVERY, loadQueue);
    every("callbacks", CALLBACKS_EVERY, loadCallbacks);
    loadCentres();
  }

  function stored(key, fallback) {
    try { return window.localStorage.getItem("tltt.staff." + account.name + "." + key) || fallback; } catch (e) { return fallback; }
  }

  function store(key, value) {
    try { window.localStorage.setItem("tltt.staff." + account.name + "." + key, value); } catch (e) { /* private mode */ }
  }

  // ------------------------------------------------------------------ presence

  function presence() {
    var checked = document.querySelector("input[name=presence]:checked");
    return checked ? checked.value : "online";
  }

  function sendPresence() { return call("POST", "/staff/api/presence", { status: presence() }); }

  function presenceChanged() {
    store("presence", presence());
    sendPresence().then(function () {
      say("Trạng thái: " + document.querySelector("label[for=presence-" + presence() + "]").textContent + ".");
    }, failed);
  }

  // ------------------------------------------------------------------ the queue

  function waited(seconds) {
    if (seconds < 60) return "chờ dưới 1 phút";
    var minutes = Math.floor(seconds / 60);
    return minutes < 60 ? "chờ " + minutes + " phút" : "chờ " + Math.floor(minutes / 60) + " giờ " + (minutes % 60) + " phút";
  }

  function loadQueue() {
    return call("GET", "/staff/api/queue").then(renderQueue);
  }

  // who waits first (oldest first, as the server sends them), then my chats, then colleagues'
  function rank(chat) { return chat.status === "queued" ? 0 : chat.mine ? 1 : 2; }

  function renderQueue(chats) {
    var list = $("queue"), seen = {};
    chats = chats.map(function (c, i) { return [rank(c), i, c]; })
      .sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; })
      .map(function (entry) { return entry[2]; });
    var waiting = chats.filter(function (c) { return c.status === "queued"; }).length;
    chats.forEach(function (chat, index) {
      seen[chat.id] = true;
      var row = queueRows[chat.id] || (queueRows[chat.id] = queueRow(chat));
      updateRow(row, chat);
      if (list.children[index] !== row) list.insertBefore(row, list.children[index] || null);
    });
    Object.keys(queueRows).forEach(function (id) {
      if (!seen[id]) { queueRows[id].remove(); delete queueRows[id]; }
    });
    $("queue-empty").hidden = chats.length > 0;
    $("queue-badge").textContent = waiting ? "(" + waiting + ")" : "";
    document.title = (waiting ? "(" + waiting + ") " : "") + "Bàn trực trò chuyện · Bắc Ninh";
  }

  function queueRow(chat) {
    var row = el("li", "queue-item");
    row.id = "q-" + chat.id;
    var info = el("div", "queue-info");
    info.id = "q-info-" + chat.id;
    info.appendChild(el("p", "queue-where"));
    info.appendChild(el("p", "queue-wait"));
    info.appendChild(el("p", "queue-preview"));
    var button = el("button", "button small", "Nhận");
    button.type = "button";
    button.setAttribute("aria-describedby", info.id);
    button.addEventListener("click", function () { pick(row.chat); });
    row.appendChild(info);
    row.appendChild(button);
    return row;
  }

  function updateRow(row, chat) {
    row.chat = chat;
    var texts = row.querySelectorAll(".queue-info p");
    var who = chat.status === "assigned" ? (chat.mine ? "Bạn đang trao đổi" : "Đang trao đổi với " + (chat.staff_display || chat.staff)) : waited(chat.waiting_seconds);
    setText(texts[0], chat.centre + " · " + chat.sender);
    setText(texts[1], who);
    setText(texts[2], chat.preview ? "“" + chat.preview + "”" : "(chưa có câu hỏi)");
    var button = row.querySelector("button");
    var canOpen = chat.status === "queued" || chat.mine;
    button.hidden = !canOpen;
    setText(button, chat.status === "queued" ? "Nhận" : "Mở");
    row.classList.toggle("is-open", !!openChat && openChat.id === chat.id);
  }

  function setText(node, text) { if (node.textContent !== text) node.textContent = text; }

  function pick(chat) {
    if (chat.status !== "queued") { openChatView(chat); return; }
    if (busy.claim) return;
    busy.claim = true;
    var display = $("display-name").value.trim() || account.display_name;
    store("display", display);
    call("POST", "/staff/api/chats/" + encodeURIComponent(chat.id) + "/claim", { display_name: display }).then(function (claimed) {
      say("Đã nhận trò chuyện với người dân ở " + claimed.centre_name + ".");
      openChatView(claimed);
      loadQueue();
    }, function (error) {
      say(error.status === 409 ? "Người khác đã nhận cuộc trò chuyện này." : error.message);
      loadQueue();
    }).then(function () { busy.claim = false; });
  }

  // ------------------------------------------------------------------ one chat

  function openChatView(chat) {
    closeChat();
    openChat = { id: chat.id, after: 0, seen: {}, chat: chat };
    $("bot-messages").textContent = "";
    $("live-messages").textContent = "";
    $("bot-part-note").hidden = true;
    $("chat-none").hidden = true;
    $("chat-open").hidden = false;
    $("panel-chats").classList.add("has-chat");
    showChatMeta(chat);
    every("messages", MESSAGES_EVERY, loadMessages);
    $("reply").focus();
  }

  function showChatMeta(chat) {
    openChat.chat = chat;
    setText($("chat-meta"), chat.centre_name + " · " + chat.sender + " · " + (STATUS_NAMES[chat.status] || chat.status));
  }

  function closeChat() {
    stop("messages");
    openChat = null;
    $("chat-open").hidden = true;
    $("chat-none").hidden = false;
    $("panel-chats").classList.remove("has-chat");
    $("card-results").textContent = "";
  }

  function loadMessages() {
    if (!openChat) return null;
    var current = openChat;
    var path = "/staff/api/chats/" + encodeURIComponent(current.id) + "/messages?after=" + current.after;
    return call("GET", path).then(function (data) {
      if (openChat !== current) return;
      showChatMeta(data.chat);
      if (data.bot_transcript) {
        var bot = data.messages.filter(function (m) { return m.kind === "transcript"; }).length;
        $("bot-part-note").hidden = data.bot_transcript === "included" && bot > 0;
        $("bot-part-note").textContent = data.bot_transcript === "unavailable"
          ? "Chưa lấy được phần trò chuyện với trợ lý (máy chủ trợ lý không trả lời)."
          : "Không có tin nhắn nào trước khi chuyển.";
      }
      data.messages.forEach(addMessage);
      current.after = data.last_id;
      if (data.chat.status !== "queued" && data.chat.status !== "assigned") {
        stop("messages");
        say("Cuộc trò chuyện đã kết thúc.");
      }
    }, function (error) {
      if (error.status === 403 || error.status === 404) { closeChat(); say(error.message); }
      throw error;
    });
  }

  function addMessage(message) {
    if (openChat.seen[message.id]) return;
    openChat.seen[message.id] = true;
    var list = message.kind === "transcript" ? $("bot-messages") : $("live-messages");
    var item = el("li", "msg from-" + message.from);
    var head = el("p", "msg-head");
    head.appendChild(el("span", "msg-name", message.name));
    var time = el("time", "msg-time", clock(message.at));
    time.setAttribute("datetime", message.at || "");
    head.appendChild(time);
    item.appendChild(head);
    // a card's text is the bot's whole overview: its title and code say enough here
    if (message.card) item.appendChild(el("p", "msg-card", "Thẻ thủ tục: " + message.card.title + " (" + message.card.code + ")"));
    else if (message.text) item.appendChild(el("p", "msg-text", message.text));
    list.appendChild(item);
    var box = $("transcript");
    box.scrollTop = box.scrollHeight;
  }

  function clock(iso) {
    var at = iso ? new Date(iso) : null;
    if (!at || isNaN(at.getTime())) return "";
    return at.toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
  }

  function chatPath(what) { return "/staff/api/chats/" + encodeURIComponent(openChat.id) + "/" + what; }

  function send(body, done) {
    if (!openChat || busy.send) return;
    busy.send = true;
    call("POST", chatPath("messages"), body).then(function (data) {
      addMessage(data.message);
      if (!data.delivered) say("Đã lưu tin nhắn; đang chờ gửi tới người dân.");
      if (done) done();
    }, function (error) {
      say(error.status === 409 ? "Hãy nhận cuộc trò chuyện trước khi trả lời." : error.message);
    }).then(function () { busy.send = false; });
  }

  function reply(event) {
    if (event) event.preventDefault();
    var box = $("reply"), text = box.value;
    if (!text.trim()) { say("Tin nhắn đang trống."); return; }
    send({ text: text }, function () { box.value = ""; box.focus(); });
  }

  function replyKey(event) {
    // Enter sends; Shift+Enter is a new line; Enter that ends an IME composition (Vietnamese
    // typing methods) only confirms the word.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) reply(event);
  }

  // ------------------------------------------------------------------ cards, transfer, end

  var searchTimer = null;

  function searchCards(event) {
    if (event) event.preventDefault();
    window.clearTimeout(searchTimer);
    var q = $("card-query").value.trim(), list = $("card-results");
    if (!q) { list.textContent = ""; return; }
    call("GET", "/staff/api/procedures?q=" + encodeURIComponent(q)).then(function (found) {
      list.textContent = "";
      if (!found.length) { list.appendChild(el("li", "note", "Không tìm thấy thủ tục phù hợp.")); return; }
      found.forEach(function (p) {
        var item = el("li");
        var button = el("button", "linklike", "Gửi: " + p.title + " (" + p.code + ")");
        button.type = "button";
        button.addEventListener("click", function () {
          send({ procedure_code: p.code }, function () {
            say("Đã gửi thẻ thủ tục " + p.code + ".");
            list.textContent = "";
            $("card-query").value = "";
            $("reply").focus();
          });
        });
        item.appendChild(button);
        list.appendChild(item);
      });
    }, failed);
  }

  function searchLater() {
    window.clearTimeout(searchTimer);
    searchTimer = window.setTimeout(searchCards, SEARCH_DELAY);
  }

  function loadCentres() {
    call("GET", "/staff/api/centres").then(function (centres) {
      var select = $("transfer-centre");
      select.length = 1;
      centres.forEach(function (c) {
        var option = el("option", "", c.name);
        option.value = c.key;
        select.appendChild(option);
      });
    }, failed);
  }

  function transfer(event) {
    event.preventDefault();
    var select = $("transfer-centre");
    if (!openChat || !select.value) { say("Hãy chọn trung tâm nhận."); select.focus(); return; }
    var name = select.options[select.selectedIndex].textContent;
    call("POST", chatPath("transfer"), { centre: select.value }).then(function () {
      closeChat();
      select.value = "";
      say("Đã chuyển sang " + name + ".");
      loadQueue();
      $("queue-title").focus();
    }, failed);
  }

  function end(event) {
    event.preventDefault();
    if (!openChat) return;
    call("POST", chatPath("end"), { code: $("end-code").value }).then(function () {
      closeChat();
      say("Đã kết thúc cuộc trò chuyện; trợ lý tiếp tục và mời người dân đánh giá.");
      loadQueue();
      $("chat-title").focus();
    }, failed);
  }

  // ------------------------------------------------------------------ callbacks

  function loadCallbacks() {
    return call("GET", "/staff/api/callbacks").then(renderCallbacks);
  }

  function renderCallbacks(items) {
    var list = $("callbacks");
    var focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.id : "";
    list.textContent = "";
    var open = 0;
    items.forEach(function (c) {
      if (c.status === "open") open += 1;
      list.appendChild(callbackItem(c));
    });
    $("callbacks-empty").hidden = items.length > 0;
    $("callbacks-badge").textContent = open ? "(" + open + ")" : "";
    if (focused && $(focused)) $(focused).focus();
  }

  function callbackItem(c) {
    var item = el("li", "callback status-" + c.status);
    var when = new Date(c.created_at);
    item.appendChild(el("p", "meta", c.centre_name + " · " + (isNaN(when.getTime()) ? "" : when.toLocaleString("vi-VN")) +
      " · " + (CALLBACK_NAMES[c.status] || c.status) + (c.lang === "en" ? " · tiếng Anh" : "")));
    item.appendChild(el("p", "callback-question", c.question || "(không có câu hỏi)"));
    var phone = el("p", "callback-phone");
    if (c.phone) {
      phone.appendChild(document.createTextNode("Số điện thoại: "));
      var link = el("a", "", c.phone);
      link.href = "tel:" + c.phone.replace(/[^0-9+]/g, "");
      phone.appendChild(link);
    } else {
      phone.textContent = c.phone_hint ? "Số điện thoại: " + c.phone_hint : "Người dân không để lại số; trả lời trong trò chuyện khi họ quay lại.";
    }
    item.appendChild(phone);
    var actions = el("p", "callback-actions");
    [["reached", "Đã gọi được"], ["not_reached", "Không liên lạc được"]].forEach(function (pair) {
      var button = el("button", "button small secondary", pair[1]);
      button.type = "button";
      button.id = "cb-" + c.id + "-" + pair[0];
      button.setAttribute("aria-pressed", c.status === pair[0] ? "true" : "false");
      button.addEventListener("click", function () {
        call("POST", "/staff/api/callbacks/" + c.id, { status: pair[0] }).then(function () {
          say("Đã ghi: " + pair[1] + ".");
          return loadCallbacks();
        }, failed);
      });
      actions.appendChild(button);
    });
    item.appendChild(actions);
    return item;
  }

  // ------------------------------------------------------------------ tabs (arrow keys move between them)

  function tabs() {
    var list = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
    function select(tab) {
      list.forEach(function (t) {
        var on = t === tab;
        t.setAttribute("aria-selected", on ? "true" : "false");
        t.tabIndex = on ? 0 : -1;
        $(t.getAttribute("aria-controls")).hidden = !on;
      });
      tab.focus();
      if (tab.id === "tab-callbacks" && account) loadCallbacks().catch(failed);
    }
    list.forEach(function (tab, index) {
      tab.addEventListener("click", function () { select(tab); });
      tab.addEventListener("keydown", function (event) {
        var next = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: list.length - 1 }[event.key];
        if (next === undefined) return;
        event.preventDefault();
        select(list[(next + list.length) % list.length]);
      });
    });
  }

  // ------------------------------------------------------------------ start

  document.addEventListener("DOMContentLoaded", function () {
    root = $("staff-console");
    if (!root) return;
    csrf = root.getAttribute("data-csrf");
    $("login-form").addEventListener("submit", login);
    $("logout").addEventListener("click", logout);
    document.querySelectorAll("input[name=presence]").forEach(function (radio) {
      radio.addEventListener("change", presenceChanged);
    });
    $("display-name").addEventListener("change", function () { if (account) store("display", $("display-name").value.trim()); });
    $("reply-form").addEventListener("submit", reply);
    $("reply").addEventListener("keydown", replyKey);
    $("card-form").addEventListener("submit", searchCards);
    $("card-query").addEventListener("input", searchLater);
    $("transfer-form").addEventListener("submit", transfer);
    $("end-form").addEventListener("submit", end);
    tabs();
    var signedIn = root.getAttribute("data-account");
    if (signedIn) start(JSON.parse(signedIn));
  });
})();
