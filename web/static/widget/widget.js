/*! Trợ lý Thủ tục chat widget. Embed with one tag:
 *  <script src="https://HOST/static/widget/widget.js" defer></script>
 * Optional data- attributes: data-socket-url (Rasa, default from HOST/widget/config.json),
 * data-lang (vi|en), data-assisted (true: volunteer mode), data-target (CSS selector: inline panel).
 * Safety: every text from the bot or the user is inserted with textContent; the only links
 * made are https links to allow-listed hosts. No inline script or style is needed (strict CSP). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.TroLyThuTuc) return;
  var BASE = script.src.replace(/\/static\/widget\/widget\.js(\?.*)?$/, "");
  var ds = script.dataset;
  var ASSISTED = ds.assisted === "true";
  var KEY = "tltt.chat.v1" + (ASSISTED ? ".assisted" : "");
  var MAX_HISTORY = 80;
  var MERGE_MS = 4000; // bot events this close together in one turn form one answer
  var TYPING_MS = 25000;
  var PROCEDURE_CODE = /^\d\.\d{6}$/;
  var DOSSIER_CODE = /^[A-Za-z0-9][A-Za-z0-9.-]{4,39}$/;
  var URL_IN_TEXT = /https?:\/\/[^\s<>"']+/g;
  var OWN_LINE = /^(agent_|handoff_|rating_)/; // handoff messages: each its own line, no answer feedback
  var SYSTEM_LINE = /^(agent_joined|handoff_ended|handoff_transferred)$/;
  var MAX_SEEN = 300;

  var T = {
    vi: {
      launcher: "Hỏi Trợ lý Thủ tục", title: "Trợ lý Thủ tục", subtitle: "Thủ tục hành chính tỉnh Bắc Ninh",
      close: "Đóng cửa sổ trò chuyện", newChat: "Cuộc trò chuyện mới", otherLang: "English",
      otherLangLabel: "Switch to English", input: "Câu hỏi của bạn", placeholder: "Nhập câu hỏi…", send: "Gửi",
      connecting: "Đang kết nối…", online: "Đã kết nối", reconnecting: "Mất kết nối, đang kết nối lại…",
      offline: "Không có mạng. Tin nhắn sẽ được gửi khi có mạng lại.", typing: "Trợ lý đang trả lời…",
      you: "Bạn", bot: "Trợ lý", pending: "chờ gửi", log: "Nội dung trò chuyện",
      intro: "Xin chào! Bạn cần hỏi về thủ tục hành chính nào? Ví dụ:",
      examples: ["Làm giấy khai sinh cần gì?", "Đăng ký thường trú ở đâu?", "Tra cứu hồ sơ"],
      up: "Câu trả lời hữu ích", down: "Câu trả lời chưa hữu ích", why: "Vì sao chưa hữu ích?",
      reasons: { wrong: "Thông tin sai", outdated: "Thông tin đã cũ", unclear: "Khó hiểu",
        not_asked: "Không đúng điều tôi hỏi", other: "Lý do khác" },
      comment: "Góp ý thêm (không ghi số giấy tờ, số điện thoại)", sendFeedback: "Gửi góp ý",
      thanks: "Cảm ơn bạn đã góp ý!", feedbackFailed: "Chưa gửi được góp ý, vui lòng thử lại.",
      code: "Mã thủ tục", details: "Xem chi tiết, in danh mục", source: "Nguồn chính thức",
      choose: "Chọn thủ tục bạn cần:", dossier: "Hồ sơ", status: "Tình trạng", appointment: "Ngày hẹn trả",
      overdue: "Quá hạn trả kết quả", suggestions: "Gợi ý câu hỏi tiếp", assisted: "Chế độ tình nguyện viên",
      aboutProcedure: "Tôi muốn hỏi về thủ tục ", lookup: "tra cứu hồ sơ ",
      aspects: { documents: "Giấy tờ cần chuẩn bị", fees: "Lệ phí", processing_time: "Thời hạn giải quyết",
        where: "Nơi nộp", online: "Nộp trực tuyến", steps: "Các bước", conditions: "Điều kiện",
        result: "Kết quả", overview: "Tổng quan" },
      followUps: [["documents", "Cần giấy tờ gì?"], ["fees", "Lệ phí bao nhiêu?"],
        ["processing_time", "Mất bao lâu?"], ["where", "Nộp ở đâu?"], ["online", "Nộp online được không?"]],
      human: "Gặp cán bộ", staff: "Cán bộ", staffSr: "Tin nhắn của cán bộ: ", staffTag: "",
      waiting: "Đang chờ cán bộ…", chatting: "Đang trò chuyện với cán bộ ", joined: " đã tham gia",
      rate: "Chấm điểm cán bộ từ 1 đến 5", outOf: " trên 5", rateComment: "Góp ý thêm (không bắt buộc)",
      rateSend: "Gửi đánh giá", rateFirst: "Bạn chọn điểm từ 1 đến 5 trước nhé."
    },
    en: {
      launcher: "Ask the procedures assistant", title: "Procedures assistant", subtitle: "Bắc Ninh public services",
      close: "Close the chat", newChat: "New conversation", otherLang: "Tiếng Việt",
      otherLangLabel: "Chuyển sang tiếng Việt", input: "Your question", placeholder: "Type your question…",
      send: "Send", connecting: "Connecting…", online: "Connected", reconnecting: "Connection lost, reconnecting…",
      offline: "You are offline. Messages will be sent when you are back online.",
      typing: "The assistant is answering…", you: "You", bot: "Assistant", pending: "not sent yet",
      log: "Conversation", intro: "Hello! Which administrative procedure can I help with? For example:",
      examples: ["How do I register a birth?", "Where do I register permanent residence?", "Check my dossier"],
      up: "Helpful answer", down: "Not helpful", why: "Why was it not helpful?",
      reasons: { wrong: "Wrong information", outdated: "Out of date", unclear: "Hard to understand",
        not_asked: "Not what I asked", other: "Other reason" },
      comment: "More details (no ID or phone numbers, please)", sendFeedback: "Send feedback",
      thanks: "Thank you for your feedback!", feedbackFailed: "Feedback not sent, please try again.",
      code: "Procedure code", details: "Details and printable checklist", source: "Official source",
      choose: "Choose the procedure you need:", dossier: "Dossier", status: "Status", appointment: "Due date",
      overdue: "Overdue", suggestions: "Suggested follow-up questions", assisted: "Volunteer mode",
      aboutProcedure: "I want to ask about procedure ", lookup: "check my dossier ",
      aspects: { documents: "Documents", fees: "Fees", processing_time: "Processing time", where: "Where to apply",
        online: "Apply online", steps: "Steps", conditions: "Conditions", result: "Result", overview: "Overview" },
      followUps: [["documents", "Which documents?"], ["fees", "How much is the fee?"],
        ["processing_time", "How long does it take?"], ["where", "Where do I apply?"],
        ["online", "Can I apply online?"]],
      human: "Talk to a person", staff: "Staff member", staffSr: "Message from a staff member: ",
      staffTag: " (staff)", waiting: "Waiting for a staff member…", chatting: "Talking with staff member ",
      joined: " has joined", rate: "Rate the staff member from 1 to 5", outOf: " out of 5",
      rateComment: "Comment (optional)", rateSend: "Send rating", rateFirst: "Choose a score from 1 to 5 first."
    }
  };

  // ------------------------------------------------------------------ state

  var state = load();
  var socket = null, confirmed = false, status = "connecting", typingTimer = null, dom = {}, chain = null;
  var unanswered = null; // the last message sent, until the first reply to it arrives
  if (ds.lang === "en" || ds.lang === "vi") state.lang = state.lang || ds.lang;
  state.lang = state.lang === "en" ? "en" : "vi";

  function fresh() {
    return { session_id: null, session_token: null, lang: null, open: false, messages: [], outbox: [], seen: [],
      handoff: null };
  }
  function load() {
    try {
      var s = JSON.parse(localStorage.getItem(KEY) || "null");
      if (s && Array.isArray(s.messages) && Array.isArray(s.outbox)) {
        if (!Array.isArray(s.seen)) s.seen = []; // ids of the staff messages already shown
        if (!isObj(s.handoff)) s.handoff = null;
        return s;
      }
    } catch (e) { /* unreadable or blocked storage: start afresh */ }
    return fresh();
  }
  function save() {
    state.messages = state.messages.slice(-MAX_HISTORY);
    state.seen = state.seen.slice(-MAX_SEEN);
    try { localStorage.setItem(KEY, JSON.stringify(state)); } catch (e) { /* private mode or full */ }
  }
  function t(key) { return T[state.lang][key]; }
  function uid() { return Date.now().toString(36) + Math.random().toString(36).slice(2, 8); }
  function isObj(x) { return x !== null && typeof x === "object" && !Array.isArray(x); }
  function str(x, max) { return typeof x === "string" ? x.slice(0, max || 4000) : ""; }

  // ------------------------------------------------------------------ DOM helpers (text only)

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function button(cls, text, onClick, label) {
    var b = el("button", cls, text);
    b.type = "button";
    if (label) b.setAttribute("aria-label", label);
    b.addEventListener("click", onClick);
    return b;
  }
  function safeUrl(raw) {
    try {
      var u = new URL(raw, location.href);
      var host = u.hostname.toLowerCase();
      var ours = u.origin === new URL(BASE, location.href).origin;
      var official = u.protocol === "https:" && (host === "dichvucong.gov.vn" || /\.gov\.vn$/.test(host));
      return ours || official ? u.href : null;
    } catch (e) { return null; }
  }
  function link(href, text) {
    var a = el("a", "tltt-link", text);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  /** Text with allow-listed https links made clickable; everything else stays plain text. */
  function richText(text) {
    var p = el("p", "tltt-text"), last = 0, m;
    URL_IN_TEXT.lastIndex = 0;
    while ((m = URL_IN_TEXT.exec(text))) {
      var raw = m[0].replace(/[.,;:!?)\]]+$/, ""), href = safeUrl(raw);
      if (!href || !/^https:/.test(raw)) continue;
      p.appendChild(document.createTextNode(text.slice(last, m.index)));
      p.appendChild(link(href, raw));
      last = m.index + raw.length;
    }
    p.appendChild(document.createTextNode(text.slice(last)));
    return p;
  }

  // ------------------------------------------------------------------ panel

  function build() {
    var target = ds.target ? document.querySelector(ds.target) : null;
    var root = el("div", "tltt" + (target ? " tltt-inline" : ""));
    root.lang = state.lang;
    if (!target) {
      dom.launcher = button("tltt-launcher", t("launcher"), function () { setOpen(true); });
      dom.launcher.setAttribute("aria-expanded", "false");
      root.appendChild(dom.launcher);
    }
    var panel = el("section", "tltt-panel");
    panel.setAttribute("role", target ? "region" : "dialog");
    panel.setAttribute("aria-labelledby", "tltt-title");
    var head = el("div", "tltt-head");
    var titles = el("div", "tltt-titles");
    var h = el("h2", "tltt-title", t("title"));
    h.id = "tltt-title";
    titles.appendChild(h);
    titles.appendChild(el("p", "tltt-subtitle", ASSISTED ? t("assisted") : t("subtitle")));
    dom.status = el("p", "tltt-status");
    dom.status.setAttribute("role", "status");
    titles.appendChild(dom.status);
    head.appendChild(titles);
    var tools = el("div", "tltt-tools");
    var langBtn = button("tltt-tool", t("otherLang"), switchLanguage, t("otherLangLabel"));
    langBtn.lang = state.lang === "vi" ? "en" : "vi";
    tools.appendChild(langBtn);
    tools.appendChild(button("tltt-tool", "↺", newConversation, t("newChat")));
    if (!target) tools.appendChild(button("tltt-tool tltt-close", "×", function () { setOpen(false); }, t("close")));
    head.appendChild(tools);
    panel.appendChild(head);

    dom.log = el("div", "tltt-log");
    dom.log.setAttribute("role", "log");
    dom.log.setAttribute("aria-live", "polite");
    dom.log.setAttribute("aria-label", t("log"));
    dom.log.tabIndex = 0;
    panel.appendChild(dom.log);
    dom.typing = el("p", "tltt-typing");
    dom.typing.hidden = true;
    dom.typing.appendChild(el("span", "tltt-dots"));
    dom.typing.appendChild(el("span", null, t("typing")));
    panel.appendChild(dom.typing);
    var bar = el("div", "tltt-bar");
    dom.handoff = el("p", "tltt-handoff");
    dom.handoff.setAttribute("role", "status");
    bar.appendChild(dom.handoff);
    dom.human = button("tltt-human", t("human"), askHuman);
    bar.appendChild(dom.human);
    panel.appendChild(bar);

    var form = el("form", "tltt-form");
    form.setAttribute("novalidate", "");
    var label = el("label", "tltt-sr", t("input"));
    label.htmlFor = "tltt-input";
    dom.input = el("textarea", "tltt-input");
    dom.input.id = "tltt-input";
    dom.input.rows = 2;
    dom.input.maxLength = 1000;
    dom.input.placeholder = t("placeholder");
    dom.input.addEventListener("keydown", function (e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
    });
    form.appendChild(label);
    form.appendChild(dom.input);
    var sendBtn = el("button", "tltt-send", t("send"));
    sendBtn.type = "submit";
    form.appendChild(sendBtn);
    form.addEventListener("submit", function (e) { e.preventDefault(); submit(); });
    panel.appendChild(form);
    panel.addEventListener("keydown", function (e) { if (e.key === "Escape" && !target) setOpen(false); });
    root.appendChild(panel);
    dom.root = root;
    dom.panel = panel;
    dom.inline = !!target;
    (target || document.body).appendChild(root);
    renderAll();
    setStatus(status);
    showHandoff();
  }

  function rebuild(focusSelector) {
    if (dom.root) dom.root.remove();
    dom = {};
    build();
    setOpen(state.open || !!ds.target, true);
    var f = focusSelector && dom.root.querySelector(focusSelector);
    if (f) f.focus();
  }

  function setOpen(open, quiet) {
    state.open = open;
    save();
    if (!dom.inline) {
      dom.root.classList.toggle("tltt-open", open);
      dom.launcher.setAttribute("aria-expanded", String(open));
      dom.panel.hidden = !open;
      dom.launcher.hidden = open;
    }
    if (open) {
      connect();
      scrollDown();
      if (!quiet) dom.input.focus();
    } else if (!quiet) {
      dom.launcher.focus();
    }
  }

  function setStatus(s) {
    status = s;
    if (!dom.status) return;
    dom.status.textContent = t(s);
    dom.status.className = "tltt-status tltt-" + s;
  }

  /** The live handoff: "waiting for staff" or "talking with X" above the input, else the way to ask for one. */
  function showHandoff() {
    if (!dom.handoff) return;
    var h = state.handoff;
    dom.handoff.hidden = !h;
    dom.handoff.textContent = !h ? "" : h.phase === "chat" ? (t("chatting") + str(h.name, 80)).trim() : t("waiting");
    dom.human.hidden = !!h;
  }

  function track(c) {
    var type = str(c.type, 40);
    if (type === "handoff_queued" || type === "handoff_transferred") state.handoff = { phase: "queued", name: "" };
    else if (type === "agent_joined") state.handoff = { phase: "chat", name: str(c.name, 80) };
    else if (type === "handoff_ended" || type === "handoff_cancelled") state.handoff = null;
    else return;
    save();
    showHandoff();
  }

  function askHuman() { send("/ask_human", t("human")); }

  function switchLanguage() {
    state.lang = state.lang === "vi" ? "en" : "vi";
    save();
    rebuild(".tltt-tool");
  }

  function newConversation() {
    var lang = state.lang;
    state = fresh();
    state.lang = lang;
    state.open = true;
    save();
    confirmed = false;
    if (socket && socket.emit) socket.emit("session_request", { session_id: null, session_token: null });
    rebuild("#tltt-input");
  }

  // ------------------------------------------------------------------ messages

  function renderAll() {
    dom.log.textContent = "";
    if (!state.messages.length) dom.log.appendChild(introItem());
    state.messages.forEach(function (m) { dom.log.appendChild(renderMessage(m)); });
  }

  function introItem() {
    var li = el("div", "tltt-msg tltt-bot tltt-intro");
    var bubble = el("div", "tltt-bubble");
    bubble.appendChild(el("p", "tltt-text", t("intro")));
    li.appendChild(bubble);
    var group = el("div", "tltt-chips");
    t("examples").forEach(function (q) { group.appendChild(button("tltt-chip", q, function () { send(q, q); })); });
    li.appendChild(group);
    return li;
  }

  function renderMessage(m) {
    var c = m.role === "bot" && isObj(m.custom) ? m.custom : null, type = c ? str(c.type, 40) : "";
    if (SYSTEM_LINE.test(type)) return systemLine(m, c, type);
    var from = staffOf(c);
    var li = el("div", "tltt-msg tltt-" + m.role + (from ? " tltt-staff" : ""));
    li.id = "tltt-m-" + m.id;
    if (from) li.appendChild(staffLabel(from));
    var bubble = el("div", "tltt-bubble");
    if (!from) bubble.appendChild(el("span", "tltt-sr", (m.role === "user" ? t("you") : t("bot")) + ": "));
    li.appendChild(bubble);
    if (m.role === "user") {
      bubble.appendChild(el("p", "tltt-text", m.text));
      if (m.pending) li.appendChild(el("p", "tltt-pending", t("pending")));
      return li;
    }
    var texts = m.texts && m.texts.length ? m.texts : from && str(c.text) ? [str(c.text)] : [];
    texts.forEach(function (text) { bubble.appendChild(richText(text)); });
    if (c) bubble.appendChild(card(c, m));
    if (m.quick_replies && m.quick_replies.length && !m.replied) {
      li.appendChild(type === "rating_request" ? ratingForm(m) : quickReplies(m));
    }
    if (!from && !OWN_LINE.test(type)) li.appendChild(feedbackBar(m)); // votes are on the bot's answers
    return li;
  }

  /** Who wrote a message from a person: a staff member's message, or a card they sent. */
  function staffOf(c) {
    if (!c) return null;
    if (isObj(c.from_agent)) return c.from_agent;
    return c.type === "agent_message" ? c : null;
  }

  function staffLabel(from) {
    var p = el("p", "tltt-from"), centre = str(from.centre, 200);
    p.appendChild(el("span", "tltt-sr", t("staffSr")));
    p.appendChild(document.createTextNode((str(from.name, 80) || t("staff")) + t("staffTag") +
      (centre ? " · " + centre : "")));
    return p;
  }

  function systemLine(m, c, type) {
    var li = el("div", "tltt-msg tltt-system");
    li.id = "tltt-m-" + m.id;
    var text = (m.texts || []).join(" ") || (type === "agent_joined" ? (str(c.name, 80) || t("staff")) + t("joined") : "");
    li.appendChild(el("p", "tltt-system-text", text));
    return li;
  }

  function rerender(m) {
    var old = document.getElementById("tltt-m-" + m.id);
    var node = renderMessage(m);
    if (old) old.replaceWith(node); else dom.log.appendChild(node);
    scrollDown();
  }

  function scrollDown() { if (dom.log) dom.log.scrollTop = dom.log.scrollHeight; }

  function quickReplies(m) {
    var group = el("div", "tltt-chips");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("suggestions"));
    var inCard = m.custom && m.custom.type === "choices" ? choicePayloads(m.custom) : [];
    m.quick_replies.forEach(function (q) {
      if (inCard.indexOf(q.payload) >= 0) return; // shown in the card
      group.appendChild(button("tltt-chip", q.title, function () { send(q.payload, q.title); }));
    });
    return group;
  }

  /** The rating asked for after a handoff: scores 1–5 and an optional comment, sent as "4" or "4 comment". */
  function ratingForm(m) {
    var f = el("form", "tltt-rate"), scores = [];
    f.setAttribute("novalidate", "");
    var group = el("div", "tltt-scores");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("rate"));
    function mark() { scores.forEach(function (b) { b.setAttribute("aria-pressed", String(b.textContent === m.score)); }); }
    m.quick_replies.forEach(function (q) {
      if (!/^[1-5]$/.test(q.payload)) return;
      var b = button("tltt-score", q.payload, function () { m.score = q.payload; save(); mark(); }, q.payload + t("outOf"));
      scores.push(b);
      group.appendChild(b);
    });
    if (!scores.length) return quickReplies(m);
    mark();
    var id = "tltt-rc-" + m.id;
    var label = el("label", null, t("rateComment"));
    label.htmlFor = id;
    var comment = el("input", "tltt-rate-comment");
    comment.id = id;
    comment.type = "text";
    comment.maxLength = 298;
    var go = el("button", "tltt-rate-go", t("rateSend"));
    go.type = "submit";
    var err = el("p", "tltt-error");
    err.setAttribute("role", "alert");
    [group, label, comment, go, err].forEach(function (n) { f.appendChild(n); });
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      if (!m.score) { err.textContent = t("rateFirst"); scores[0].focus(); return; }
      var text = (m.score + " " + comment.value.trim()).trim().slice(0, 300);
      send(text, text);
      if (!m.replied) { m.replied = true; save(); rerender(m); } // when other messages came after it
    });
    return f;
  }

  function choicePayloads(custom) {
    return (Array.isArray(custom.options) ? custom.options : [])
      .map(function (o) { return str(o && o.payload, 300); }).filter(Boolean);
  }

  // A choice sends the payload the bot put in its option (bot/payloads.py builds it). Only a deep
  // link (?thu_tuc=CODE) has no bot message to take it from: this is the one copy of that rule
  // outside bot/payloads.py, and tests/test_payloads.py checks that both build the same text.
  function choosePayload(code) { return '/choose_procedure{"procedure_code": "' + code + '"}'; }

  function card(c, m) {
    var box = el("div", "tltt-card");
    if (c.type === "procedure" && PROCEDURE_CODE.test(str(c.code, 20))) {
      box.appendChild(el("p", "tltt-card-title", str(c.title, 400)));
      var aspect = t("aspects")[str(c.aspect, 40)];
      box.appendChild(el("p", "tltt-card-meta", t("code") + " " + c.code + (aspect ? " · " + aspect : "")));
      var links = el("p", "tltt-card-links");
      links.appendChild(link(BASE + "/thu-tuc/" + c.code, t("details")));
      var src = safeUrl(str(c.source_url, 500));
      if (src && /^https:/.test(src)) links.appendChild(link(src, t("source")));
      box.appendChild(links);
      if (isLastBot(m)) box.appendChild(followUps(str(c.aspect, 40)));
    } else if (c.type === "choices" && Array.isArray(c.options)) {
      box.appendChild(el("p", "tltt-card-title", t("choose")));
      var list = el("ul", "tltt-choices");
      c.options.slice(0, 8).forEach(function (o) {
        var code = str(o && o.code, 20), title = str(o && o.title, 300), payload = str(o && o.payload, 300);
        if (!PROCEDURE_CODE.test(code) || !payload) return;
        var li = el("li");
        li.appendChild(button("tltt-choice", title + " (" + code + ")", function () { send(payload, title); }));
        list.appendChild(li);
      });
      box.appendChild(list);
    } else if (c.type === "dossier_status") {
      box.className += " tltt-dossier";
      box.appendChild(el("p", "tltt-card-title", t("dossier") + " " + str(c.code, 60)));
      var dl = el("dl");
      dl.appendChild(el("dt", null, t("status")));
      dl.appendChild(el("dd", null, str(c.status, 200)));
      var date = str(c.appointment_date, 10);
      if (/^\d{4}-\d{2}-\d{2}$/.test(date)) {
        dl.appendChild(el("dt", null, t("appointment")));
        dl.appendChild(el("dd", null, date.slice(8, 10) + "/" + date.slice(5, 7) + "/" + date.slice(0, 4)));
      }
      box.appendChild(dl);
      if (c.overdue === true) box.appendChild(el("p", "tltt-badge", "⚠ " + t("overdue")));
    } else {
      return document.createDocumentFragment(); // other payloads: the text says it all
    }
    return box;
  }

  function followUps(current) {
    var group = el("div", "tltt-chips tltt-followups");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", t("suggestions"));
    t("followUps").forEach(function (f) {
      if (f[0] !== current) group.appendChild(button("tltt-chip", f[1], function () { send(f[1], f[1]); }));
    });
    return group;
  }

  function isLastBot(m) {
    var last = state.messages[state.messages.length - 1];
    return last === m;
  }

  function addMessage(m) {
    var intro = dom.log && dom.log.querySelector(".tltt-intro");
    if (intro) intro.remove();
    var prev = state.messages[state.messages.length - 1];
    state.messages.push(m);
    save();
    if (prev && prev.role === "bot" && prev.custom && prev.custom.type === "procedure") rerender(prev); // drop old follow-ups
    if (dom.log) { dom.log.appendChild(renderMessage(m)); scrollDown(); }
  }

  function lastBotOfTurn() {
    var last = state.messages[state.messages.length - 1];
    return last && last.role === "bot" ? last : null;
  }

  function onBot(data) {
    if (!isObj(data)) return;
    unanswered = null;
    var text = str(data.text).trim();
    var buttons = (Array.isArray(data.quick_replies) ? data.quick_replies : Array.isArray(data.buttons) ? data.buttons : [])
      .filter(function (b) { return isObj(b) && str(b.title) && str(b.payload); })
      .slice(0, 10).map(function (b) { return { title: str(b.title, 200), payload: str(b.payload, 300) }; });
    var custom = isObj(data.custom) ? data.custom : null;
    if (!text && !buttons.length && !custom) return;
    var id = custom && custom.id, key = typeof id === "string" || typeof id === "number"
      ? str(custom.type, 40) + "#" + String(id).slice(0, 80) : null;
    var last = lastBotOfTurn();
    var recent = last && !last.custom && Date.now() - last.ts < MERGE_MS;
    if (key && state.seen.indexOf(key) >= 0) { // shown already: the server replays staff messages on (re)joining
      if (!text && chain && chain.m === last && recent) undo(chain); // and the text sent just before its payload
      chain = null;
      return;
    }
    if (key) state.seen.push(key);
    hideTyping();
    var own = custom && (isObj(custom.from_agent) || OWN_LINE.test(str(custom.type, 40)));
    // Rasa sends one answer as several events (paragraphs, then the payload): keep them together.
    // A text with a handoff payload is one whole message (a staff member's words): never merged.
    if (recent && !(text && own) && (!last.quick_replies.length || (custom && !text && !buttons.length))) {
      if (!custom && !(chain && chain.m === last)) chain = { m: last, n: last.texts.length, qr: last.quick_replies };
      if (text) last.texts.push(text);
      if (buttons.length) last.quick_replies = buttons;
      last.custom = custom;
      last.ts = Date.now();
      save();
      rerender(last);
    } else {
      var m = { id: uid(), role: "bot", texts: text ? [text] : [], quick_replies: buttons, custom: custom,
        ts: Date.now(), rating: null };
      addMessage(m);
      chain = { m: m, created: true };
    }
    if (custom) { chain = null; track(custom); }
  }

  /** Take back the text events of a message whose payload turned out to be a replayed one. */
  function undo(c) {
    if (c.created) {
      state.messages.splice(state.messages.indexOf(c.m), 1);
      var node = document.getElementById("tltt-m-" + c.m.id);
      if (node) node.remove();
    } else {
      c.m.texts.length = c.n;
      c.m.quick_replies = c.qr;
      rerender(c.m);
    }
    save();
  }

  // ------------------------------------------------------------------ sending

  function submit() {
    var text = dom.input.value.trim();
    if (!text) return;
    dom.input.value = "";
    send(text, text);
  }

  function send(payload, shown) {
    // A chip or choice activated from the keyboard is re-rendered away below: keep the focus in the panel.
    var refocus = keyboardFocusIn(dom.log);
    var last = lastBotOfTurn();
    if (last && last.quick_replies.length && !last.replied) { last.replied = true; rerender(last); }
    // ID digits asked for a dossier lookup go to the bot but are never shown or kept here.
    var slot = last && last.custom && last.custom.type === "ask" ? last.custom.slot : "";
    if (slot === "identity_digits") shown = shown.replace(/\d/g, "•");
    if (slot === "phone") shown = shown.replace(/\d(?=(\D*\d){3})/g, "•"); // kept here: the last 3 digits only
    var m = { id: uid(), role: "user", text: shown, pending: true, ts: Date.now() };
    addMessage(m);
    state.outbox.push({ id: m.id, message: payload });
    save();
    if (refocus) dom.input.focus();
    connect();
    flush();
  }

  function keyboardFocusIn(node) {
    var a = document.activeElement;
    try { return !!node && !!a && node.contains(a) && a.matches(":focus-visible"); } catch (e) { return false; }
  }

  function flush() {
    if (!socket || !confirmed || !state.session_id) return;
    var metadata = { ui_language: state.lang };
    if (ASSISTED) metadata.assisted = true;
    while (state.outbox.length) {
      var item = state.outbox.shift();
      socket.emit("user_uttered", { message: item.message, session_id: state.session_id, metadata: metadata });
      unanswered = state.handoff ? null : item; // with a person, an answer may take minutes: never resent
      var m = state.messages.filter(function (x) { return x.id === item.id; })[0];
      if (m) { m.pending = false; rerender(m); }
      if (!state.handoff) showTyping(); // a staff member may take a while: no "the assistant is answering"
    }
    save();
  }

  function showTyping() {
    if (!dom.typing) return;
    dom.typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, TYPING_MS);
  }
  function hideTyping() { if (dom.typing) dom.typing.hidden = true; clearTimeout(typingTimer); }

  // ------------------------------------------------------------------ connection

  function connect() {
    if (socket) return;
    socket = {}; // connecting: never twice
    config(function (cfg) {
      loadScript(BASE + "/static/vendor/socket.io.min.js", function () {
        socket = window.io(cfg.socket_url, { path: cfg.socket_path || "/socket.io/", reconnectionDelayMax: 8000 });
        socket.on("connect", function () {
          setStatus("connecting");
          // The token proves this browser opened the session; without it the server starts a new one.
          socket.emit("session_request", { session_id: state.session_id, session_token: state.session_token });
        });
        socket.on("session_confirm", function (id) {
          var sid = isObj(id) ? id.session_id : id;
          if (typeof sid !== "string" || !sid) return;
          state.session_id = sid;
          state.session_token = isObj(id) && typeof id.session_token === "string" ? id.session_token : null;
          confirmed = true;
          setStatus("online");
          save();
          flush();
        });
        socket.on("bot_uttered", onBot);
        socket.on("disconnect", function () {
          confirmed = false;
          // The server that had the message went away before answering: send it again once back
          // (to another replica, through the balancer), as the citizen would.
          if (unanswered) { state.outbox.unshift(unanswered); unanswered = null; save(); }
          setStatus(navigator.onLine ? "reconnecting" : "offline");
        });
        socket.io.on("reconnect_attempt", function () { setStatus(navigator.onLine ? "reconnecting" : "offline"); });
      });
    });
  }

  function config(done) {
    if (ds.socketUrl) return done({ socket_url: ds.socketUrl, socket_path: ds.socketPath });
    fetch(BASE + "/widget/config.json").then(function (r) { return r.json(); }).then(done, function () {
      socket = null;
      setStatus("offline");
    });
  }

  function loadScript(src, done) {
    if (window.io) return done();
    var s = document.createElement("script");
    s.src = src;
    s.onload = done;
    s.onerror = function () { socket = null; setStatus("offline"); };
    document.head.appendChild(s);
  }

  window.addEventListener("offline", function () { setStatus("offline"); });
  window.addEventListener("online", function () { if (!confirmed) setStatus("reconnecting"); });

  // ------------------------------------------------------------------ feedback

  function feedbackBar(m) {
    var bar = el("div", "tltt-feedback");
    if (m.rating === "sent") bar.appendChild(el("p", "tltt-thanks", t("thanks")));
    else {
      var up = button("tltt-vote", "👍", function () { vote(m, "up", "", ""); }, t("up"));
      var down = button("tltt-vote", "👎", function () { m.asking = !m.asking; rerender(m); focusIn(m, "select"); }, t("down"));
      down.setAttribute("aria-expanded", String(!!m.asking));
      bar.appendChild(up);
      bar.appendChild(down);
      if (m.asking) bar.appendChild(reasonForm(m));
      if (m.failed) bar.appendChild(el("p", "tltt-error", t("feedbackFailed")));
    }
    if (m.human && !state.handoff) { // "not what I asked": a person may help
      bar.appendChild(button("tltt-chip tltt-ask-human", t("human"), function () {
        askHuman();
        m.human = false;
        save();
        rerender(m);
      }));
    }
    return bar;
  }

  function reasonForm(m) {
    var f = el("form", "tltt-reason");
    var ids = "tltt-r-" + m.id;
    var l1 = el("label", null, t("why"));
    l1.htmlFor = ids;
    var select = el("select");
    select.id = ids;
    Object.keys(t("reasons")).forEach(function (k) {
      var o = el("option", null, t("reasons")[k]);
      o.value = k;
      select.appendChild(o);
    });
    var l2 = el("label", null, t("comment"));
    l2.htmlFor = ids + "-c";
    var comment = el("textarea");
    comment.id = ids + "-c";
    comment.rows = 2;
    comment.maxLength = 300;
    [l1, select, l2, comment].forEach(function (n) { f.appendChild(n); });
    var go = el("button", "tltt-send", t("sendFeedback"));
    go.type = "submit";
    f.appendChild(go);
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      m.human = select.value === "not_asked";
      vote(m, "down", select.value, comment.value);
    });
    return f;
  }

  function focusIn(m, selector) {
    var node = document.getElementById("tltt-m-" + m.id);
    var target = node && node.querySelector(selector);
    if (target) target.focus();
  }

  function vote(m, rating, reason, comment) {
    var c = m.custom || {};
    var body = { session_id: state.session_id || "none", message_id: m.id, rating: rating, reason: reason,
      comment: comment.slice(0, 300), payload_type: str(c.type, 32), procedure_code: str(c.code, 20),
      aspect: str(c.aspect, 32), lang: state.lang, assisted: ASSISTED };
    fetch(BASE + "/api/feedback", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body) })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); })
      .then(function () { m.rating = "sent"; m.asking = false; m.failed = false; },
        function () { m.failed = true; })
      .then(function () { save(); rerender(m); focusIn(m, ".tltt-thanks, .tltt-vote"); });
  }

  // ------------------------------------------------------------------ start

  function deepLink() {
    var params = new URLSearchParams(location.search);
    var dossier = params.get("ma_ho_so"), procedure = params.get("thu_tuc");
    if (params.get("moi") === "1") { var lang = state.lang; state = fresh(); state.lang = lang; save(); }
    var action = null;
    if (dossier && DOSSIER_CODE.test(dossier)) action = [t("lookup") + dossier, t("lookup") + dossier];
    else if (procedure && PROCEDURE_CODE.test(procedure)) action = [choosePayload(procedure), t("aboutProcedure") + procedure];
    ["ma_ho_so", "thu_tuc", "moi"].forEach(function (k) { params.delete(k); });
    if (history.replaceState) {
      var q = params.toString();
      history.replaceState(history.state, "", location.pathname + (q ? "?" + q : "") + location.hash);
    }
    return action;
  }

  function ensureStyles() {
    if (document.querySelector("link[data-tltt]")) return;
    var l = document.createElement("link");
    l.rel = "stylesheet";
    l.href = BASE + "/static/widget/widget.css";
    l.setAttribute("data-tltt", "");
    document.head.appendChild(l);
  }

  function start() {
    ensureStyles();
    var action = deepLink();
    build();
    setOpen(state.open || !!action || dom.inline, !action || dom.inline); // inline: never scroll the page away
    if (action) send(action[0], action[1]);
    else if (state.outbox.length) flush();
  }

  window.TroLyThuTuc = { open: function () { setOpen(true); }, version: "1" };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
