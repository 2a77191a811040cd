/* 安帮工作台: countdowns, the dashboard's refresh, and the Leaflet maps.  No build step, no framework. */
(function () {
  "use strict";

  // --- Countdown to each alert's due time --------------------------------------------------------
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function formatLeft(ms) {
    var overdue = ms < 0, s = Math.floor(Math.abs(ms) / 1000);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    var text = (h > 0 ? h + "小时" : "") + pad(m) + "分" + pad(sec) + "秒";
    return overdue ? "已超时 " + text : "剩余 " + text;
  }
  function tick() {
    var now = Date.now(), items = document.querySelectorAll(".countdown[data-due]");
    for (var i = 0; i < items.length; i++) {
      var left = Date.parse(items[i].getAttribute("data-due")) - now;
      items[i].textContent = formatLeft(left);
      items[i].className = "countdown" + (left < 0 ? " overdue" : "");
    }
  }

  // --- Dashboard refresh: re-fetch the body as an HTML fragment ----------------------------------
  // The refresh is a request like any other, so it would keep an unattended session alive for ever on a
  // shared office PC: once nobody has touched the page for the idle timeout, it stops and hides the names.
  var lastInput = Date.now();
  ["mousemove", "mousedown", "keydown", "scroll", "touchstart"].forEach(function (name) {
    document.addEventListener(name, function () { lastInput = Date.now(); }, { passive: true });
  });
  function startRefresh() {
    var body = document.getElementById("dashboard-body");
    if (!body) return;
    var seconds = parseInt(body.getAttribute("data-refresh"), 10) || 30;
    var idleMs = (parseFloat(body.getAttribute("data-idle")) || 30) * 60000;
    var timer = setInterval(function () {
      if (Date.now() - lastInput > idleMs) {
        clearInterval(timer);
        body.innerHTML = '<p class="flash error">长时间未操作，页面内容已隐藏。<a href="/console/">继续工作</a>（会话已超时则需重新登录）</p>';
        return;
      }
      fetch(body.getAttribute("data-url"), { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); return null; }  // idled out: to the sign-in page
          return r.ok ? r.text() : null;
        })
        .then(function (html) { if (html !== null) { body.innerHTML = html; labelCells(body); tick(); } })
        .catch(function () { /* offline for a moment: keep what is shown */ });
    }, seconds * 1000);
  }

  // --- WGS-84 → GCJ-02 (for AMap/Tencent tiles only; stored data stays WGS-84) --------------------
  var A = 6378245.0, EE = 0.00669342162296594323;
  function outOfChina(lat, lon) { return lon < 72.004 || lon > 137.8347 || lat < 0.8293 || lat > 55.8271; }
  function tLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * Math.PI) + 40.0 * Math.sin(y / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * Math.PI) + 320 * Math.sin(y * Math.PI / 30.0)) * 2.0 / 3.0;
    return r;
  }
  function tLon(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * Math.PI) + 20.0 * Math.sin(2.0 * x * Math.PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * Math.PI) + 40.0 * Math.sin(x / 3.0 * Math.PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * Math.PI) + 300.0 * Math.sin(x / 30.0 * Math.PI)) * 2.0 / 3.0;
    return r;
  }
  function wgs84ToGcj02(lat, lon) {
    if (outOfChina(lat, lon)) return [lat, lon];
    var dLat = tLat(lon - 105.0, lat - 35.0), dLon = tLon(lon - 105.0, lat - 35.0);
    var radLat = lat / 180.0 * Math.PI, magic = Math.sin(radLat);
    magic = 1 - EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180.0) / ((A * (1 - EE)) / (magic * sqrtMagic) * Math.PI);
    dLon = (dLon * 180.0) / (A / sqrtMagic * Math.cos(radLat) * Math.PI);
    return [lat + dLat, lon + dLon];
  }
  // GCJ-02 → WGS-84, for what an officer draws on GCJ-02 tiles (zones.js): the offset has no closed-form
  // inverse, but it changes by under 1e-5 per degree, so w ← w − (f(w) − g) converges to f(w) = g in a
  // few rounds; stopped at 1e-10° (0.01 mm), far below the 0.5 m the editor promises.
  function gcj02ToWgs84(lat, lon) {
    var wLat = lat, wLon = lon;
    for (var i = 0; i < 30; i++) {
      var g = wgs84ToGcj02(wLat, wLon), dLat = g[0] - lat, dLon = g[1] - lon;
      wLat -= dLat;
      wLon -= dLon;
      if (Math.abs(dLat) < 1e-10 && Math.abs(dLon) < 1e-10) break;
    }
    return [wLat, wLon];
  }

  // --- Maps --------------------------------------------------------------------------------------
  function drawMap(el, data) {
    if (!window.L) return;
    var cfg = data.config || {}, shift = cfg.tileCrs === "gcj02" ? wgs84ToGcj02 : function (a, b) { return [a, b]; };
    var map = L.map(el, { attributionControl: !!cfg.attribution, preferCanvas: true });
    L.control.scale({ imperial: false }).addTo(map);  // without tiles the scale is the only sense of distance
    if (cfg.tileUrl) {
      L.tileLayer(cfg.tileUrl, { maxZoom: 19, attribution: cfg.attribution || "" }).addTo(map);
    } else {
      el.className += " plain";  // offline default: zones and track on a plain background
    }
    // The map opens on the whole of every zone (or, on an alert's page, of the breached zone: data.focus)
    // and on the fixes: a circle counts by its full extent, not its centre, so it is never cropped.
    var bounds = [];
    (data.zones || []).forEach(function (f) {
      var kind = f.properties.kind, style = { color: kind === "exclusion" ? "#b91c1c" : "#15803d", weight: 2, fillOpacity: 0.12 };
      var g = f.geometry, layer = null, extent = [];
      function ring(coords) { return coords.map(function (c) { var p = shift(c[1], c[0]); extent.push(p); return p; }); }
      if (g.type === "Point") {
        var centre = L.latLng(shift(g.coordinates[1], g.coordinates[0])), box = centre.toBounds(2 * f.properties.radius_m);
        extent.push(box.getSouthWest(), box.getNorthEast());
        layer = L.circle(centre, Object.assign({ radius: f.properties.radius_m }, style));
      }
      else if (g.type === "Polygon") layer = L.polygon(g.coordinates.map(ring), style);
      else if (g.type === "MultiPolygon") layer = L.polygon(g.coordinates.map(function (p) { return p.map(ring); }), style);
      else if (g.type === "LineString") {  // a corridor: the area judged (outline, from the server) and its route
        var parts = [L.polyline(ring(g.coordinates), { color: style.color, weight: 2, dashArray: "6 4" })];
        var outline = f.properties.outline;
        if (outline && outline.type === "Polygon") parts.unshift(L.polygon(outline.coordinates.map(ring), style));
        layer = L.featureGroup(parts);
      }
      if (layer) layer.bindTooltip(f.properties.name + (kind === "exclusion" ? "（禁止区域）" : "（允许区域）")).addTo(map);
      if (!data.focus || f.id === data.focus) bounds = bounds.concat(extent);
    });
    var fixes = data.fixes || [], line = [];
    fixes.forEach(function (p, i) {
      var at = shift(p.lat, p.lon), last = i === fixes.length - 1;
      bounds.push(at);
      line.push(at);
      L.circleMarker(at, { radius: last ? 6 : 3, color: p.alarms ? "#b91c1c" : (last ? "#1d4ed8" : "#475569"), weight: 1, fillOpacity: 0.9 })
        .bindTooltip(new Date(p.t).toLocaleString("zh-CN") + (p.late ? "（补传）" : "") + (p.alarms ? " 报警：" + p.alarms : ""))
        .addTo(map);
    });
    if (line.length > 1) L.polyline(line, { color: "#1d4ed8", weight: 2, opacity: 0.7 }).addTo(map);
    if (bounds.length) map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17 });
    else if (data.home) map.setView(shift(data.home.lat, data.home.lon), 16);  // the zone editor's first zone
    else map.setView(shift(35.0, 105.0), 4);
    el.setAttribute("data-zones", String((data.zones || []).length));
    el.setAttribute("data-ready", String(fixes.length));
    maps[el.id] = map;
    return map;
  }

  var maps = {};  // by element id: the browser tests read what each map opened on
  function startMaps() {
    var els = document.querySelectorAll("[data-map]");
    for (var i = 0; i < els.length; i++) {
      var source = document.getElementById(els[i].getAttribute("data-map"));
      if (source) drawMap(els[i], JSON.parse(source.textContent));
    }
  }

  // --- Phone width: each cell carries its column's heading, so a table can collapse into cards --------
  // (console.css, max-width 640px).  A cell's own data-label, written by a template, is kept.
  function labelCells(root) {
    var tables = (root || document).querySelectorAll("table");
    for (var i = 0; i < tables.length; i++) {
      var heads = tables[i].querySelectorAll("thead th");
      if (!heads.length) continue;
      tables[i].classList.add("collapsing");
      var rows = tables[i].querySelectorAll("tbody tr");
      for (var r = 0; r < rows.length; r++) {
        for (var c = 0; c < rows[r].cells.length && c < heads.length; c++) {
          if (!rows[r].cells[c].hasAttribute("data-label")) rows[r].cells[c].setAttribute("data-label", heads[c].textContent.trim());
        }
      }
    }
  }

  window.Anbang = { labelCells: labelCells, wgs84ToGcj02: wgs84ToGcj02, gcj02ToWgs84: gcj02ToWgs84, formatLeft: formatLeft, maps: maps };
  document.addEventListener("DOMContentLoaded", function () {
    labelCells(document);
    tick();
    setInterval(tick, 1000);
    startRefresh();
    startMaps();
  });
})();
