/* The review queue (admins): reads GET /staff/api/review; each question gets a label through
   POST /staff/api/review (a procedure found with the knowledge search box, "out of scope", or an
   alias suggestion), which can be undone (POST /staff/api/review/{id}/undo), or is skipped.
   Rendering through textContent only. */
(function () {
  "use strict";
  var root, csrf, reasons;
  var LABELS = { procedure: "đúng thủ tục", alias: "cách gọi khác của thủ tục", out_of_scope: "ngoài phạm vi" };

  function $(id) { return document.getElementById(id); }
  function say(text) { $("review-status").textContent = text; }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function button(text, className, onClick) {
    var b = el("button", "button small " + (className || ""), text);
    b.type = "button";
    b.addEventListener("click", onClick);
    return b;
  }

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
        throw new Error((data && data.error) || "Không thực hiện được (mã " + response.status + ").");
      });
    }, function () { throw new Error("Mất kết nối tới máy chủ."); });
  }

  function label(item, question, kind, procedure) {
    var body = { text: question.text, label: kind, code: procedure ? procedure.code : "" };
    call("POST", "/staff/api/review", body).then(function (done) {
      var what = LABELS[kind] + (procedure ? " " + procedure.code : "");
      item.textContent = "";
      item.appendChild(el("p", "review-question", question.text));
      var line = el("p", "review-done", "Đã gắn nhãn: " + what + ". ");
      line.appendChild(button("Hoàn tác", "secondary", function () { undo(item, question, done.id); }));
      item.appendChild(line);
      say("Đã gắn nhãn “" + question.text + "”: " + what + ".");
    }).catch(function (error) { say(error.message); });
  }

  function undo(item, question, id) {
    call("POST", "/staff/api/review/" + id + "/undo").then(function () {
      item.replaceWith(entry(question));
      say("Đã hoàn tác nhãn của “" + question.text + "”.");
    }).catch(function (error) { say(error.message); });
  }

  function results(item, question, list, found) {
    list.textContent = "";
    if (!found.length) { list.appendChild(el("li", "", "Không tìm thấy thủ tục nào.")); return; }
    found.forEach(function (p) {
      var row = el("li", "review-pick");
      row.appendChild(el("span", "", p.code + " · " + p.title));
      var right = button("Đúng thủ tục này", "", function () { label(item, question, "procedure", p); });
      right.setAttribute("aria-label", "Đúng thủ tục " + p.code);
      var alias = button("Là cách gọi khác", "secondary", function () { label(item, question, "alias", p); });
      alias.setAttribute("aria-label", "Là cách gọi khác của thủ tục " + p.code);
      row.appendChild(right);
      row.appendChild(alias);
      list.appendChild(row);
    });
  }

  var next = 0;
  function entry(question) {
    var n = ++next, item = el("li", "review-item");
    item.appendChild(el("p", "review-question", question.text));
    item.appendChild(el("p", "meta", question.count + " lượt · " + (reasons[question.status] || question.status)));
    var form = el("form", "row");
    var input = el("input");
    input.type = "search";
    input.id = "review-search-" + n;
    input.value = question.text;
    var caption = el("label", "", "Tìm thủ tục");
    caption.htmlFor = input.id;
    var list = el("ul", "review-picks");
    list.setAttribute("aria-live", "polite");
    form.appendChild(caption);
    form.appendChild(input);
    form.appendChild(el("button", "button small", "Tìm"));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      call("GET", "/staff/api/procedures?q=" + encodeURIComponent(input.value))
        .then(function (found) { results(item, question, list, found); })
        .catch(function (error) { say(error.message); });
    });
    item.appendChild(form);
    item.appendChild(list);
    var actions = el("p", "row");
    actions.appendChild(button("Ngoài phạm vi", "secondary", function () { label(item, question, "out_of_scope"); }));
    actions.appendChild(button("Bỏ qua", "secondary", function () {
      item.remove();
      say("Đã bỏ qua “" + question.text + "”; câu này vẫn còn trong hàng chờ lần sau.");
    }));
    item.appendChild(actions);
    return item;
  }

  function load() {
    say("Đang tải…");
    call("GET", "/staff/api/review").then(function (queue) {
      var list = $("review-queue");
      list.textContent = "";
      queue.forEach(function (q) { list.appendChild(entry(q)); });
      say(queue.length ? queue.length + " câu hỏi chờ duyệt." : "Không còn câu hỏi nào chờ duyệt.");
    }).catch(function (error) { say(error.message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = $("review");
    csrf = root.getAttribute("data-csrf");
    reasons = JSON.parse(root.getAttribute("data-reasons") || "{}");
    load();
  });
})();
