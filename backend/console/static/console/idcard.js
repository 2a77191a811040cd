/* The resident ID number (居民身份证号码, GB 11643-1999) checked as it is typed: the same rules and the same
   Chinese messages as backend/people/idcard.py, which checks it again on the server.  18 characters: 6 of
   region, 8 of birth date (YYYYMMDD), 3 of sequence (odd = male) and an ISO 7064 MOD 11-2 check character. */
(function () {
  "use strict";

  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = "10X98765432";
  var MESSAGES = {
    format: "身份证号码应为 18 位（末位可为 X）",
    birth_date_missing: "身份证号码中的出生日期不存在",
    birth_date_unlikely: "身份证号码中的出生日期不合理",
    check_digit: "身份证号码校验位错误，请核对"
  };

  // As backend/core/normalize.py normalize_id_number: NFKC (full-width digits and Ｘ), no spaces, upper case.
  function normalize(value) {
    var text = String(value || "");
    if (text.normalize) text = text.normalize("NFKC");
    return text.replace(/\s+/g, "").toUpperCase();
  }

  function checkCharacter(first17) {
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += (first17.charCodeAt(i) - 48) * WEIGHTS[i];
    return CHECK.charAt(sum % 11);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function refuse(reason, key) { return { ok: false, reason: reason, message: MESSAGES[key || reason] }; }

  // The whole number: {ok, number, birthDate "YYYY-MM-DD", gender "male"|"female", region} or {ok: false,
  // reason, message}.  ``today`` (a Date) is for tests; the server compares with its own date.
  function parse(value, today) {
    var number = normalize(value);
    if (!/^\d{17}[\dX]$/.test(number)) return refuse("format");
    var year = +number.slice(6, 10), month = +number.slice(10, 12), day = +number.slice(12, 14);
    var date = new Date(Date.UTC(year, month - 1, day));
    if (month < 1 || month > 12 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 ||
        date.getUTCDate() !== day) return refuse("birth_date", "birth_date_missing");
    today = today || new Date();
    var todayKey = today.getFullYear() * 10000 + (today.getMonth() + 1) * 100 + today.getDate();
    if (year * 10000 + month * 100 + day > todayKey || year < 1900) return refuse("birth_date", "birth_date_unlikely");
    if (checkCharacter(number.slice(0, 17)) !== number.charAt(17)) return refuse("check_digit");
    return {
      ok: true, number: number, birthDate: year + "-" + pad(month) + "-" + pad(day),
      gender: (+number.charAt(16)) % 2 ? "male" : "female", region: number.slice(0, 6)
    };
  }

  // While typing: nothing to say yet for a number that can still become valid (digits, shorter than 18),
  // the format message at once for anything that cannot, and the full check at 18 characters.
  function check(value, today) {
    var number = normalize(value);
    if (number === "") return { ok: false, incomplete: true, typed: 0, message: "" };
    if (number.length < 18 && /^\d*$/.test(number)) {
      return { ok: false, incomplete: true, typed: number.length, message: "已输入 " + number.length + " / 18 位" };
    }
    return parse(number, today);
  }

  window.Anbang = window.Anbang || {};
  window.Anbang.idcard = { normalize: normalize, checkCharacter: checkCharacter, parse: parse, check: check, MESSAGES: MESSAGES };
})();
