/* The person form (建档 / 修改档案): the resident ID number checked as typed (idcard.js), the birth date and
   gender it implies filled in, a live "already registered" check, and more rows of phones and contacts.
   The server checks everything again; without this script the form still works (one empty row each). */
(function () {
  "use strict";

  var idcard = window.Anbang && window.Anbang.idcard;

  function setLive(form, input, text, bad) {
    var live = form.querySelector("#id_number-live");
    live.textContent = text;
    live.className = "live " + (bad ? "field-error" : "hint");
    if (bad) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  function showDuplicate(form, answer) {
    var box = form.querySelector("#id-duplicate");
    box.textContent = "";
    box.hidden = !answer || !answer.exists;
    if (box.hidden) return;
    box.appendChild(document.createTextNode("该证件号码已建档。"));
    if (answer.url) {
      var link = document.createElement("a");
      link.href = answer.url;
      link.textContent = "查看该人员档案";
      box.appendChild(link);
    }
  }

  // The number goes in a POST body, never in a URL (proxy and server logs keep URLs).
  var asked = "";
  function askExists(form, number) {
    if (number === asked) return;
    asked = number;
    var body = new URLSearchParams();
    body.append("id_number", number);
    if (form.getAttribute("data-person")) body.append("exclude", form.getAttribute("data-person"));
    var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
    fetch(form.getAttribute("data-check-url"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-CSRFToken": token, "X-Requested-With": "fetch" }
    }).then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (asked === number) showDuplicate(form, answer); })
      .catch(function () { asked = ""; });
  }

  function onIdNumber(form, loading) {
    var input = form.querySelector("#id_number"), type = form.querySelector("#id_type");
    if (!input || !idcard) return;
    if (type && type.value !== "resident_id") {
      setLive(form, input, "", false);
      showDuplicate(form, null);
      return;
    }
    var result = idcard.check(input.value);
    var shown = !form.querySelector("#id-duplicate").hidden;
    if (loading && shown && result.ok) asked = result.number;  // the server said so with this page
    else showDuplicate(form, null);
    if (result.incomplete) { asked = ""; setLive(form, input, result.message, false); return; }
    if (!result.ok) { asked = ""; setLive(form, input, result.message, true); return; }
    var gender = result.gender === "male" ? "男" : "女";
    setLive(form, input, "校验通过：" + result.birthDate + " 出生，" + gender, false);
    var birth = form.querySelector("#birth_date"), sex = form.querySelector("#gender");
    if (birth) birth.value = result.birthDate;
    if (sex) sex.value = result.gender;
    if (form.getAttribute("data-initial") !== result.number) askExists(form, result.number);
    else showDuplicate(form, null);
  }

  // Another row like the last one of its list, with the next index in every name and id, and empty.
  function addRow(form, list) {
    var rows = form.querySelectorAll('[data-row="' + list + '"]');
    var last = rows[rows.length - 1];
    var next = rows.length;
    var copy = last.cloneNode(true);
    var pattern = new RegExp("^" + list + "\\.\\d+\\.");
    copy.querySelectorAll("input, select, label").forEach(function (el) {
      ["name", "id", "for"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value && pattern.test(value)) el.setAttribute(attr, value.replace(pattern, list + "." + next + "."));
      });
      if (el.tagName === "INPUT") {
        if (el.type === "checkbox") el.checked = false; else el.value = "";
        el.removeAttribute("aria-invalid");
        el.removeAttribute("aria-describedby");
      }
    });
    copy.querySelectorAll(".field-error").forEach(function (el) { el.remove(); });
    last.parentNode.insertBefore(copy, last.nextSibling);
    var first = copy.querySelector("input");
    if (first) first.focus();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("person-form");
    if (!form) return;
    var input = form.querySelector("#id_number"), type = form.querySelector("#id_type");
    if (input) input.addEventListener("input", function () { onIdNumber(form); });
    if (type) type.addEventListener("change", function () { onIdNumber(form); });
    form.querySelectorAll("button[data-add]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { addRow(form, button.getAttribute("data-add")); });
    });
    if (input && input.value) onIdNumber(form, true);
  });
})();
