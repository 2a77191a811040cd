/* 安帮工作台: the zone editor (zone_edit.html).  Leaflet-Geoman (vendored) draws one shape — circle, polygon,
   rectangle, or a line that becomes a corridor with the width typed beside the map — on the map console.js
   opened (window.Anbang.maps["zone-map"], with the person's other zones drawn read-only), and writes it to
   the hidden field "geometry" as the zones API takes it, in WGS-84: on GCJ-02 tiles what was drawn is turned
   back with Anbang.gcj02ToWgs84.  The server validates everything again (actions/zones.py). */
(function () {
  "use strict";

  var DIGITS = 1e7;  // 7 decimals: about 1 cm
  function round(x) { return Math.round(x * DIGITS) / DIGITS; }

  function start() {
    var el = document.getElementById("zone-map"), field = document.getElementById("geometry");
    var map = window.Anbang && window.Anbang.maps["zone-map"];
    if (!el || !field || !map || !map.pm) return;
    var data = JSON.parse(document.getElementById("zone-map-data").textContent), cfg = data.config || {};
    var gcj = cfg.tileCrs === "gcj02";
    var width = document.getElementById("corridor-width"), summary = document.getElementById("shape-summary");

    // Map coordinates ⇄ stored [lon, lat] (WGS-84).
    function toMap(lon, lat) { return gcj ? window.Anbang.wgs84ToGcj02(lat, lon) : [lat, lon]; }
    function toStored(ll) {
      var p = gcj ? window.Anbang.gcj02ToWgs84(ll.lat, ll.lng) : [ll.lat, ll.lng];
      return [round(p[1]), round(p[0])];
    }
    function closed(latlngs) { var ring = latlngs.map(toStored); ring.push(ring[0].slice()); return ring; }

    function geometryOf(layer) {
      if (layer instanceof L.Circle) {
        var c = toStored(layer.getLatLng());
        return { type: "circle", lat: c[1], lon: c[0], radius_m: Math.round(layer.getRadius() * 10) / 10 };
      }
      if (layer instanceof L.Polygon) {  // before Polyline: a polygon is one
        var rings = layer.getLatLngs();
        if (L.LineUtil.isFlat(rings)) rings = [rings];
        if (rings.length && !L.LineUtil.isFlat(rings[0]) && !(rings[0][0] instanceof L.LatLng)) {
          return { type: "MultiPolygon", coordinates: rings.map(function (p) { return p.map(closed); }) };
        }
        return { type: "Polygon", coordinates: rings.map(closed) };
      }
      if (layer instanceof L.Polyline) {
        return { type: "corridor", line: layer.getLatLngs().map(toStored), width_m: Number(width.value) };
      }
      return null;
    }

    function layerOf(g) {
      if (!g || typeof g !== "object") return null;
      if (g.type === "circle") return L.circle(toMap(g.lon, g.lat), { radius: g.radius_m });
      function open(ring) { return ring.slice(0, -1).map(function (c) { return toMap(c[0], c[1]); }); }
      if (g.type === "Polygon") return L.polygon(g.coordinates.map(open));
      if (g.type === "MultiPolygon") return L.polygon(g.coordinates.map(function (p) { return p.map(open); }));
      if (g.type === "corridor") {
        if (width && g.width_m) width.value = g.width_m;
        return L.polyline(g.line.map(function (c) { return toMap(c[0], c[1]); }));
      }
      return null;
    }

    // A corridor is shown as wide as it is (two widths, in pixels at this zoom), faintly, under its route.
    var band = null;
    function drawBand() {
      if (band) { map.removeLayer(band); band = null; }
      if (!(shape instanceof L.Polyline) || shape instanceof L.Polygon) return;
      var metres = Number(width.value), pts = shape.getLatLngs();
      if (!(metres > 0) || pts.length < 2) return;
      var lat = pts[0].lat * Math.PI / 180, perPixel = 40075016.686 * Math.cos(lat) / Math.pow(2, map.getZoom() + 8);
      band = L.polyline(pts, { weight: Math.max(2, 2 * metres / perPixel), opacity: 0.25, color: "#1d4ed8",
                               lineCap: "round", lineJoin: "round", interactive: false, pmIgnore: true }).addTo(map);
      band.bringToBack();
    }

    var shape = null;
    function describe(g) {
      if (!g) return "尚未画出区域";
      if (g.type === "circle") return "圆形：半径 " + Math.round(g.radius_m) + " 米";
      if (g.type === "Polygon") return "多边形：" + (g.coordinates[0].length - 1) + " 个顶点";
      if (g.type === "MultiPolygon") return "多个多边形：" + g.coordinates.length + " 块";
      return "走廊：路线 " + g.line.length + " 个点，两侧各 " + (isFinite(g.width_m) ? g.width_m : "？") + " 米";
    }
    function write() {
      var g = shape ? geometryOf(shape) : null;
      field.value = g ? JSON.stringify(g) : "";
      var stale = document.getElementById("geometry-error");  // "nothing drawn" from the last try
      if (stale && g) stale.hidden = true;
      show(g);
    }
    function show(g) {
      summary.textContent = g ? "已画：" + describe(g) : describe(g);
      el.setAttribute("data-shape", g ? g.type : "");
      drawBand();
    }
    function adopt(layer, quiet) {
      if (shape && shape !== layer) map.removeLayer(shape);
      shape = layer;
      layer.on("pm:edit pm:dragend pm:cut", write);
      layer.on("pm:remove", function () { if (shape === layer) { shape = null; write(); } });
      if (quiet) show(geometryOf(layer)); else write();
    }

    // The zones drawn by console.js are context only: Geoman's edit, drag and removal modes leave them be.
    map.eachLayer(function (layer) { layer.options.pmIgnore = true; });
    map.pm.setLang("zh");
    map.pm.setGlobalOptions({ allowSelfIntersection: false, snappable: true, continueDrawing: false });
    map.pm.addControls({
      position: "topleft", drawMarker: false, drawCircleMarker: false, drawText: false, cutPolygon: false,
      rotateMode: false, drawCircle: true, drawPolygon: true, drawRectangle: true, drawPolyline: true,
      editMode: true, dragMode: true, removalMode: true
    });
    map.on("pm:create", function (e) { adopt(e.layer, false); });
    map.on("zoomend", drawBand);
    if (width) width.addEventListener("input", function () { if (shape) write(); });

    // Editing, or the form came back with an error: the shape posted (or stored) is loaded into the editor,
    // untouched — posted again as it was unless the officer changes it.
    var stored = null;
    try { stored = field.value ? JSON.parse(field.value) : null; } catch (err) { stored = null; }
    var loaded = layerOf(stored);
    if (loaded) {
      loaded.addTo(map);
      adopt(loaded, true);
      map.fitBounds(loaded.getBounds(), { padding: [30, 30], maxZoom: 17 });
    }

    // Schedule rows: "添加时段" copies the last row with the next index (schedule.N.weekday …).
    var rows = document.getElementById("windows"), add = document.getElementById("add-window");
    if (rows && add) add.addEventListener("click", function () {
      var last = rows.lastElementChild, copy = last.cloneNode(true), n = rows.children.length;
      copy.querySelectorAll("[name]").forEach(function (input) {
        input.name = input.name.replace(/^schedule\.\d+\./, "schedule." + n + ".");
        input.value = "";
        input.removeAttribute("aria-invalid");
      });
      copy.querySelectorAll(".field-error").forEach(function (e) { e.remove(); });
      rows.appendChild(copy);
    });
    el.setAttribute("data-editor", "ready");
  }

  document.addEventListener("DOMContentLoaded", start);  // after console.js has drawn the map
})();
