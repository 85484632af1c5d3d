/* The analytics dashboard: reads GET /staff/api/analytics/summary and shows each figure as a table
   (and the turns per day as a uPlot chart too). Rendering through textContent only. */
(function () {
  "use strict";
  var STATUS = {
    answered: "Đã trả lời", clarified: "Hỏi lại để chọn thủ tục", no_answer: "Chưa trả lời được",
    out_of_scope: "Ngoài phạm vi", locality: "Nơi nộp theo xã/phường", asked: "Hỏi thêm thông tin",
    handoff_offered: "Đề nghị gặp cán bộ", handoff_queued: "Chờ cán bộ", handoff_live: "Đang với cán bộ",
    handoff_unavailable: "Cán bộ không trực", handoff_callback: "Hẹn gọi lại", handoff_rated: "Chấm điểm cán bộ",
    dossier_found: "Tra cứu hồ sơ: thấy", dossier_not_found: "Tra cứu hồ sơ: không thấy",
    dossier_locked: "Tra cứu hồ sơ: tạm khoá", dossier_unavailable: "Tra cứu hồ sơ: hệ thống lỗi",
    error: "Lỗi", other: "Khác", silent: "Không trả lời"
  };
  var CLOSING = { answered: "Đã giải đáp", referred: "Hướng dẫn đến nơi khác", filed_online: "Đã nộp trực tuyến cùng",
    citizen_left: "Người dân rời đi", other: "Khác" };
  var REASONS = { wrong: "Thông tin sai", outdated: "Thông tin đã cũ", unclear: "Khó hiểu",
    not_asked: "Không đúng điều tôi hỏi", other: "Lý do khác" };
  var ASPECTS = { overview: "Tổng quan", documents: "Giấy tờ cần chuẩn bị", fees: "Lệ phí",
    processing_time: "Thời hạn giải quyết", where: "Nơi nộp", online: "Nộp trực tuyến", steps: "Các bước",
    conditions: "Điều kiện", result: "Kết quả" };  // knowledge/aspects.py Aspect
  var charts = {};

  function $(id) { return document.getElementById(id); }
  function say(text) { $("analytics-status").textContent = text; }

  function fill(id, rows) {
    var body = $(id).querySelector("tbody");
    body.textContent = "";
    rows.forEach(function (cells) {
      var tr = document.createElement("tr");
      cells.forEach(function (value, i) {
        var cell = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) cell.scope = "row";
        cell.textContent = value === null || value === undefined ? "—" : String(value);
        tr.appendChild(cell);
      });
      body.appendChild(tr);
    });
    if (!rows.length) fill(id, [["Chưa có số liệu", ""]]);
  }

  // one uPlot line chart of per-day figures: `lines` are [label, colour, field of a day]
  function draw(name, days, lines) {
    var box = $(name + "-chart");
    if (charts[name]) { charts[name].destroy(); charts[name] = null; }
    if (!window.uPlot || !days.length) return;
    var xs = days.map(function (d) { return Date.parse(d.day + "T00:00:00+07:00") / 1000; });
    var series = [{}].concat(lines.map(function (l) { return { label: l[0], stroke: l[1], width: 2 }; }));
    var data = [xs].concat(lines.map(function (l) { return days.map(function (d) { return d[l[2]]; }); }));
    charts[name] = new window.uPlot({
      width: Math.min(box.clientWidth || 600, 900), height: 220, series: series, axes: [{}, { label: "" }]
    }, data, box);
  }

  function show(data) {
    fill("totals", [
      ["Lượt hỏi", data.turns], ["Cuộc trò chuyện", data.conversations],
      ["Trợ lý tự giải quyết (không cần cán bộ)", data.contained],
      ["Thời gian trả lời p50 (ms)", data.latency_ms.p50], ["Thời gian trả lời p95 (ms)", data.latency_ms.p95]
    ]);
    fill("days", data.per_day.map(function (d) { return [d.day, d.turns, d.conversations]; }));
    fill("by-status", Object.keys(data.by_status).map(function (k) { return [STATUS[k] || k, data.by_status[k]]; }));
    fill("top", data.top_procedures.map(function (p) { return [p.code, p.count]; }));
    fill("aspects", data.top_aspects.map(function (a) { return [ASPECTS[a.aspect] || a.aspect, a.count]; }));
    fill("unanswered", data.unanswered_groups.map(function (g) {
      var others = g.questions.slice(1).map(function (q) { return q.text + " (" + q.count + ")"; });
      return [g.text, g.count, others.join(" · ")];
    }));
    var split = [];
    Object.keys(data.by_language).forEach(function (k) { split.push(["Ngôn ngữ", k, data.by_language[k]]); });
    Object.keys(data.by_channel).forEach(function (k) { split.push(["Kênh", k, data.by_channel[k]]); });
    fill("split", split);
    var h = data.handoff, rows = [
      ["Đề nghị gặp cán bộ", h.offered], ["Vào hàng chờ", h.queued], ["Được cán bộ trả lời", h.talked],
      ["Yêu cầu gọi lại", h.callbacks], ["Thời gian chờ p50 (giây)", h.wait_seconds.p50],
      ["Thời gian chờ p95 (giây)", h.wait_seconds.p95]
    ];
    Object.keys(h.closing_codes).forEach(function (k) { rows.push(["Kết thúc: " + (CLOSING[k] || k), h.closing_codes[k]]); });
    Object.keys(h.ratings).forEach(function (k) { rows.push(["Chấm " + k + "/5", h.ratings[k]]); });
    fill("handoff", rows);
    var f = data.feedback, votes = [["👍 Hữu ích", f.up], ["👎 Chưa hữu ích", f.down],
      ["Tỉ lệ câu trả lời được đánh giá", f.rate === null ? null : Math.round(f.rate * 1000) / 10 + " %"]];
    Object.keys(f.reasons).forEach(function (k) { votes.push(["👎 lý do: " + (REASONS[k] || k), f.reasons[k]]); });
    fill("feedback", votes);
    draw("days", data.per_day, [["Lượt hỏi", "#0b5cad", "turns"], ["Cuộc trò chuyện", "#a14c00", "conversations"]]);
    fill("outcome", data.per_day.map(function (d) { return [d.day, d.answered, d.unanswered]; }));
    draw("outcome", data.per_day, [["Trả lời được", "#1a7f37", "answered"], ["Chưa trả lời được hoặc hỏi lại", "#b3261e", "unanswered"]]);
  }

  function load() {
    var query = "?" + ["from", "to", "centre", "language", "channel"].filter(function (name) {
      return $(name) && $(name).value;
    }).map(function (name) { return name + "=" + encodeURIComponent($(name).value); }).join("&");
    $("csv").href = "/staff/api/analytics/summary.csv" + query;
    if ($("open-json")) {
      $("open-json").href = "/staff/api/analytics/open-data.json" + query;
      $("open-csv").href = "/staff/api/analytics/open-data.csv" + query;
    }
    say("Đang tải…");
    fetch("/staff/api/analytics/summary" + query, { credentials: "same-origin" })
      .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
      .then(function (answer) {
        if (!answer.ok) { say(answer.body.error || "Không tải được số liệu."); return; }
        show(answer.body);
        say("Số liệu từ " + answer.body.from + " đến " + answer.body.to + ".");
      })
      .catch(function () { say("Mất kết nối tới máy chủ."); });
  }

  function centres() {
    if (!$("centre")) return;
    fetch("/staff/api/centres", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : []; })
      .then(function (list) {
        list.forEach(function (c) {
          var option = document.createElement("option");
          option.value = c.key;
          option.textContent = c.name;
          $("centre").appendChild(option);
        });
      }).catch(function () { /* the province's figures still show */ });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("period").addEventListener("submit", function (e) { e.preventDefault(); load(); });
    centres();
    load();
  });
})();
