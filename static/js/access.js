/*
 * Phone, keyboard and embed behaviour of the city map and the embed (issue 10).
 *
 * - Keyboard: the map controls (zoom, locate, "Was gilt hier?", layers) come right after the
 *   map in the tab order; markers are not one tab stop each but one roving stop: the arrow keys
 *   move between the visible markers (left to right), Home/End jump, Enter opens the popup.
 * - Phone: a popup opens as a bottom sheet over the lower part of the map (above every control),
 *   with a free close button, its own scrolling and a shadow cue when there is more to read.
 *   The map moves so that the feature stays visible above the sheet.
 * - Embed on touch screens: one finger scrolls the host page (map dragging is off, the map
 *   container allows pan-x/pan-y), two fingers pan and zoom the map; a short hint says so.
 * Everything is our own code: no third-party hosts.
 */
(function () {
  'use strict';
  var BGIS = (window.BGIS = window.BGIS || {});
  var NARROW = '(max-width: 40em)';

  function narrow() { return window.matchMedia && window.matchMedia(NARROW).matches; }
  BGIS.narrow = narrow;

  /* ---- keyboard: controls first, one roving marker stop ---- */

  function markerNodes(map) {
    var size = map.getSize();
    var nodes = Array.prototype.slice.call(
      map.getPanes().markerPane.querySelectorAll('.leaflet-marker-icon'));
    return nodes.filter(function (node) {
      var r = node.getBoundingClientRect(), c = map.getContainer().getBoundingClientRect();
      var x = r.left + r.width / 2 - c.left, y = r.top + r.height / 2 - c.top;
      return x >= 0 && y >= 0 && x <= size.x && y <= size.y;
    }).sort(function (a, b) {
      var ra = a.getBoundingClientRect(), rb = b.getBoundingClientRect();
      return (ra.left - rb.left) || (ra.top - rb.top);
    });
  }

  function rove(map) {
    var current = null;
    function settle() {
      var nodes = markerNodes(map);
      map.getPanes().markerPane.querySelectorAll('.leaflet-marker-icon').forEach(function (n) {
        n.setAttribute('tabindex', '-1');
      });
      if (current && nodes.indexOf(current) < 0) current = null;
      var stop = current || nodes[0];
      if (stop) stop.setAttribute('tabindex', '0');
    }
    function move(node) {
      if (!node) return;
      if (current) current.setAttribute('tabindex', '-1');
      current = node;
      node.setAttribute('tabindex', '0');
      node.focus();
    }
    var pane = map.getPanes().markerPane;
    pane.setAttribute('aria-description', BGIS.t('markersHint'));
    pane.addEventListener('keydown', function (e) {
      var target = e.target;
      if (!target.classList || !target.classList.contains('leaflet-marker-icon')) return;
      var nodes = markerNodes(map), i = nodes.indexOf(target);
      var next = { ArrowRight: i + 1, ArrowDown: i + 1, ArrowLeft: i - 1, ArrowUp: i - 1,
        Home: 0, End: nodes.length - 1 }[e.key];
      if (next === undefined) return;
      e.preventDefault();
      e.stopPropagation();
      move(nodes[Math.max(0, Math.min(nodes.length - 1, next))]);
    });
    pane.addEventListener('focusin', function (e) {
      if (e.target.classList && e.target.classList.contains('leaflet-marker-icon')) current = e.target;
    });
    map.on('layeradd moveend zoomend', function () { window.requestAnimationFrame(settle); });
    settle();
  }

  /* Leaflet puts its control corners after the panes: move them first, so Tab reaches zoom,
     locate and "Was gilt hier?" before any marker (their place on screen does not change). */
  function controlsFirst(map) {
    var box = map.getContainer(), corners = map._controlContainer;
    if (corners && box.firstChild !== corners) box.insertBefore(corners, box.firstChild);
  }

  /* ---- phone: popups as a bottom sheet ---- */

  function sheet(map) {
    map.on('popupopen', function (e) {
      if (!narrow()) return;
      var node = e.popup.getElement(), box = map.getContainer();
      if (!node) return;
      node.classList.add('bgis-sheet');
      box.appendChild(node);
      var content = node.querySelector('.bgis-popup');
      if (content) {
        var cue = function () {
          var more = content.scrollHeight - content.scrollTop - content.clientHeight > 4;
          node.classList.toggle('bgis-sheet-more', more);
        };
        content.addEventListener('scroll', cue);
        window.requestAnimationFrame(cue);
        window.setTimeout(cue, 400);
      }
      var latlng = e.popup.getLatLng();
      if (!latlng) return;
      var point = map.latLngToContainerPoint(latlng);
      var free = map.getSize().y - node.offsetHeight;
      if (point.y > free - 24 || point.y < 24) {
        map.panBy([0, point.y - Math.max(40, free / 2)], { animate: false });
      }
    });
  }

  /* ---- embed on touch screens: one finger scrolls the page, two fingers move the map ---- */

  function gestures(map) {
    var box = map.getContainer();
    var hint = BGIS.el('div', { class: 'bgis-gesture-hint', 'aria-hidden': 'true' }, BGIS.t('gestureHint'));
    box.appendChild(hint);
    var timer = null;
    map.dragging.disable();
    box.classList.add('bgis-gestures');
    function show() {
      hint.classList.add('bgis-visible');
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { hint.classList.remove('bgis-visible'); }, 1500);
    }
    box.addEventListener('touchstart', function (e) {
      if (e.touches.length > 1) {
        hint.classList.remove('bgis-visible');
        if (!map.dragging.enabled()) map.dragging.enable();
      } else if (map.dragging.enabled()) {
        map.dragging.disable();
      }
    }, { passive: true });
    box.addEventListener('touchmove', function (e) {
      if (e.touches.length === 1 && !e.target.closest('.leaflet-control, .bgis-sheet, .leaflet-popup')) show();
    }, { passive: true });
    box.addEventListener('touchend', function (e) {
      if (e.touches.length === 0 && map.dragging.enabled()) map.dragging.disable();
    }, { passive: true });
  }

  function touchScreen() {
    return ('ontouchstart' in window) || (navigator.maxTouchPoints || 0) > 0;
  }

  BGIS.mountAccess = function (map, page) {
    controlsFirst(map);
    rove(map);
    sheet(map);
    if (page.mode === 'embed' && touchScreen()) gestures(map);
  };
})();
