/*
 * Measuring on the city map (issue 16): distance and area.
 *
 * geoman (npm @geoman-io/leaflet-geoman-free, vendored) draws the line or the polygon with
 * mouse, touch and pen. The keyboard drives the same drawing: the map has the focus, the arrow
 * keys move the map under the crosshair in its centre, Enter sets a point there, Backspace takes
 * the last point back and Escape ends the measurement. Lengths and areas are geodesic on the
 * WGS84 ellipsoid (GeographicLib, npm geographiclib-geodesic, the algorithm of PROJ's geod) and
 * are announced in a live region in the page language ("Strecke: 1,24 km", "Fläche: 3,5 ha").
 */
(function () {
  'use strict';
  var BGIS = window.BGIS = window.BGIS || {};
  /* geoman (about 80 kB compressed) is loaded on the first measurement, not with every map page;
     it then works in opt-in mode: only on its own drawing, the city's layers stay untouched. */
  var geoman = null;
  function loadGeoman(map, assets) {
    if (!geoman) {
      geoman = new Promise(function (resolve, reject) {
        if (window.L && L.PM) { resolve(); return; }
        var css = document.createElement('link');
        css.rel = 'stylesheet';
        css.href = assets.css;
        document.head.appendChild(css);
        var js = document.createElement('script');
        js.src = assets.js;
        js.onload = resolve;
        js.onerror = function () { geoman = null; reject(new Error('geoman')); };
        document.head.appendChild(js);
      }).then(function () {
        L.PM.setOptIn(true);
        if (!map.pm) {  // as geoman's init hook would do for a map created after it
          map.pm = new L.PM.Map(map);
          map.pm.setGlobalOptions({});
        }
        map.pm.setLang(BGIS.page && BGIS.page.lang === 'en' ? 'en' : 'de');
      });
    }
    return geoman;
  }

  var STYLE = { color: '#b3005e', weight: 3, dashArray: '6 4', fillOpacity: 0.15 };

  function geod() { return window.geodesic.Geodesic.WGS84; }

  /* Length in metres of a line through the points (geodesic segments). */
  BGIS.geodesicLength = function (latlngs) {
    var g = geod(), total = 0, i;
    for (i = 1; i < latlngs.length; i++) {
      total += g.Inverse(latlngs[i - 1].lat, latlngs[i - 1].lng, latlngs[i].lat, latlngs[i].lng,
        window.geodesic.Geodesic.DISTANCE).s12;
    }
    return total;
  };

  /* Area (m²) and perimeter (m) of the polygon through the points. */
  BGIS.geodesicArea = function (latlngs) {
    var polygon = geod().Polygon(false);
    latlngs.forEach(function (p) { polygon.AddPoint(p.lat, p.lng); });
    var r = polygon.Compute(false, true);
    return { area: Math.abs(r.area), perimeter: r.perimeter };
  };

  function round(value, digits) {
    var f = Math.pow(10, digits);
    return Math.round(value * f) / f;
  }

  BGIS.formatLength = function (m) {
    if (m < 1000) return BGIS.formatNumber(Math.round(m)) + ' m';
    return BGIS.formatNumber(round(m / 1000, 2)) + ' km';
  };

  BGIS.formatArea = function (sq) {
    if (sq < 10000) return BGIS.formatNumber(Math.round(sq)) + ' m²';
    if (sq < 1e6) return BGIS.formatNumber(round(sq / 1e4, 1)) + ' ha';
    return BGIS.formatNumber(round(sq / 1e6, 2)) + ' km²';
  };

  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }

  var MeasureControl = L.Control.extend({
    options: { position: 'topright' },

    initialize: function (texts, assets) {
      this.t = texts;
      this.assets = assets;
      this.shape = null;       // 'Line' | 'Polygon' while measuring
      this.working = null;     // geoman's layer being drawn
      this.kbd = false;        // last input came from the keyboard
      this.result = L.layerGroup();
      this.last = null;        // the last result: {shape, latlngs, text}
    },

    onAdd: function (map) {
      var t = this.t, self = this;
      var box = L.DomUtil.create('div', 'leaflet-bar bgis-tools bgis-measure');
      box.setAttribute('role', 'group');
      box.setAttribute('aria-label', t.measure);
      this.buttons = {};
      [['Line', t.measure_line, 'line'], ['Polygon', t.measure_area, 'area']].forEach(function (item) {
        var b = BGIS.el('button', {
          type: 'button', class: 'bgis-tool bgis-measure-' + item[2], 'aria-pressed': 'false',
          title: item[1], 'aria-describedby': 'bgis-measure-help',
        });
        b.appendChild(BGIS.el('span', { class: 'bgis-tool-icon bgis-tool-' + item[2], 'aria-hidden': 'true' }));
        b.appendChild(BGIS.el('span', { class: 'bgis-tool-label' }, item[1]));
        L.DomEvent.on(b, 'click', function (ev) { self.toggle(item[0], ev.detail === 0); });
        box.appendChild(b);
        self.buttons[item[0]] = b;
      });
      this.help = BGIS.el('p', { id: 'bgis-measure-help', class: 'bgis-measure-help' }, t.measure_help);
      this.help.hidden = true;
      this.status = BGIS.el('p', { id: 'bgis-measure-status', class: 'bgis-measure-status', role: 'status', 'aria-live': 'polite' });
      box.appendChild(this.help);
      box.appendChild(this.status);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      this.cross = L.DomUtil.create('div', 'bgis-crosshair', map.getContainer());
      this.cross.setAttribute('aria-hidden', 'true');
      this.cross.hidden = true;
      map.on('pm:drawstart', this._drawStart, this);
      map.on('pm:create', this._created, this);
      map.on('move', this._follow, this);
      map.on('mousemove', function (e) { if (e.originalEvent) this.kbd = false; }, this);
      L.DomEvent.on(map.getContainer(), 'keydown', this._key, this);
      L.DomEvent.on(document, 'keydown', this._escape, this);
      this.result.addTo(map);
      return box;
    },

    announce: function (text) {
      this.status.textContent = text;
    },

    toggle: function (shape, fromKeyboard) {
      if (this.shape === shape) { this.finish(); return; }
      this.start(shape, fromKeyboard);
    },

    start: function (shape, fromKeyboard) {
      var self = this;
      loadGeoman(this._map, this.assets).then(function () {
        self._begin(shape, fromKeyboard);
      }, function () {
        self.announce(self.t.measure_unavailable);
      });
    },

    _begin: function (shape, fromKeyboard) {
      var map = this._map;
      if (this.shape) this.finish(true);
      this.result.clearLayers();
      this.last = null;
      this.shape = shape;
      BGIS.measuring = true;
      if (BGIS.picking && BGIS.placeControl) BGIS.placeControl.set(false);  // one click mode at a time
      // two taps in a row set two points; they must not zoom the map
      this.zoomOnDouble = map.doubleClickZoom.enabled();
      map.doubleClickZoom.disable();
      map.pm.enableDraw(shape, {
        snappable: false, allowSelfIntersection: true, tooltips: true, finishOn: null,
        templineStyle: STYLE, hintlineStyle: L.extend({}, STYLE, { dashArray: '2 6' }), pathOptions: STYLE,
      });
      this._ui(true);
      this.announce(shape === 'Line' ? this.t.measure_line_started : this.t.measure_area_started);
      if (fromKeyboard) {
        this.kbd = true;
        map.getContainer().focus({ preventScroll: true });
        this._follow();
      }
    },

    /* End the measurement; the drawn points so far become the result. */
    finish: function (quiet) {
      if (!this.shape) return;
      var latlngs = this.working ? this.working.getLatLngs().slice() : [];
      var shape = this.shape;
      this._stop();
      this._show(shape, latlngs, quiet);
    },

    _stop: function () {
      var working = this.working;
      this.working = null;
      this.shape = null;
      if (working) working.off('pm:vertexadded pm:vertexremoved', this._update, this);
      if (this._map.pm && this._map.pm.globalDrawModeEnabled()) this._map.pm.disableDraw();
      BGIS.measuring = false;
      if (this.zoomOnDouble) this._map.doubleClickZoom.enable();
      this._ui(false);
    },

    _ui: function (active) {
      var shape = this.shape;
      Object.keys(this.buttons).forEach(function (k) {
        this.buttons[k].setAttribute('aria-pressed', active && k === shape ? 'true' : 'false');
      }, this);
      this.help.hidden = !active;
      this.cross.hidden = !active;
      this._map.getContainer().classList.toggle('bgis-measuring', active);
    },

    _show: function (shape, latlngs, quiet) {
      var enough = shape === 'Line' ? latlngs.length >= 2 : latlngs.length >= 3;
      if (!enough) {
        if (!quiet) this.announce(this.t.measure_ended);
        return;
      }
      var text = this._text(shape, latlngs);
      var drawn = shape === 'Line' ? L.polyline(latlngs, STYLE) : L.polygon(latlngs, STYLE);
      drawn.bindTooltip(text, { permanent: true, direction: 'center', className: 'bgis-measure-label' });
      this.result.clearLayers();
      this.result.addLayer(drawn);
      this.last = { shape: shape, latlngs: latlngs.map(function (p) { return [p.lat, p.lng]; }), text: text };
      if (!quiet) this.announce(text);
    },

    _text: function (shape, latlngs) {
      if (shape === 'Line') return fill(this.t.distance_result, { value: BGIS.formatLength(BGIS.geodesicLength(latlngs)) });
      var r = BGIS.geodesicArea(latlngs);
      return fill(this.t.area_result, { value: BGIS.formatArea(r.area), perimeter: BGIS.formatLength(r.perimeter) });
    },

    _drawStart: function (e) {
      this.working = e.workingLayer;
      this.working.on('pm:vertexadded pm:vertexremoved', this._update, this);
    },

    _update: function () {
      if (!this.working || !this.shape) return;
      var latlngs = this.working.getLatLngs(), n = latlngs.length;
      var text = fill(this.t.point_set, { n: n });
      var enough = this.shape === 'Line' ? n >= 2 : n >= 3;
      if (enough) text += ' ' + this._text(this.shape, latlngs);
      this.announce(text);
    },

    /* geoman finished the shape itself (click on the last or first point). */
    _created: function (e) {
      if (!this.shape) return;
      var layer = e.layer, shape = this.shape;
      var latlngs = shape === 'Polygon' ? layer.getLatLngs()[0] : layer.getLatLngs();
      layer.remove();
      this._stop();
      this._show(shape, latlngs.slice(), false);
    },

    /* Keyboard on the map: Enter sets a point at the crosshair, Backspace removes the last. */
    _key: function (e) {
      var map = this._map;
      if (!this.shape || e.target !== map.getContainer()) return;
      if (e.key && e.key.indexOf('Arrow') === 0) { this.kbd = true; return; }
      if (e.key === 'Enter') {
        L.DomEvent.preventDefault(e);
        this.kbd = true;
        var c = map.getCenter();
        map.fire('click', { latlng: c, layerPoint: map.latLngToLayerPoint(c), containerPoint: map.latLngToContainerPoint(c) });
      } else if (e.key === 'Backspace') {
        L.DomEvent.preventDefault(e);
        var draw = map.pm.Draw[this.shape];
        if (draw && draw._removeLastVertex && this.working && this.working.getLatLngs().length >= 2) draw._removeLastVertex();
      }
    },

    /* Escape anywhere ends the measurement (the points so far give the result). */
    _escape: function (e) {
      if (this.shape && e.key === 'Escape') {
        L.DomEvent.preventDefault(e);
        this.finish();
      }
    },

    /* While the keyboard moves the map, geoman's helper line follows the crosshair. */
    _follow: function () {
      if (!this.shape || !this.kbd) return;
      var map = this._map, c = map.getCenter();
      map.fire('mousemove', { latlng: c, layerPoint: map.latLngToLayerPoint(c), containerPoint: map.latLngToContainerPoint(c) });
    },
  });

  BGIS.mountMeasure = function (map, texts, assets) {
    if (!window.geodesic) return null;
    BGIS.measureControl = new MeasureControl(texts, assets).addTo(map);
    return BGIS.measureControl;
  };
})();
