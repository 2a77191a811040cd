/* 批量导入: while an import runs, poll its progress (counts only) and move the bar; reload when it ends. */
(function () {
  "use strict";
  var box = document.getElementById("import-status");
  if (!box || box.getAttribute("data-state") !== "running") { return; }
  var bar = document.getElementById("import-bar");
  var count = document.getElementById("import-count");
  var url = box.getAttribute("data-progress-url");
  var stages = { check: "检查", write: "写入", done: "完成" };

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return null; }
        return response.json();
      })
      .then(function (data) {
        if (!data) { return; }
        bar.value = data.percent;
        count.textContent = (stages[data.stage] ? stages[data.stage] + " " : "") +
          data.done + " / " + data.total + "（" + data.percent + " %）";
        if (data.state !== "running") {
          window.setTimeout(function () { window.location.reload(); }, 600);
        } else {
          window.setTimeout(poll, 500);
        }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  poll();
}());
