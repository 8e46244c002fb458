/*
 * The embed page (/embed): keeps "Große Karte öffnen" at the current view and tells the
 * embedding page (e.g. the embed builder) about view changes via postMessage. The wheel never
 * zooms the embed (no scroll trap); zoom buttons, keyboard and pinch do.
 */
(function () {
  'use strict';
  var BGIS = window.BGIS;

  function announce() {
    BGIS.updateViewLinks();
    if (window.parent !== window) {
      var c = BGIS.map.getCenter();
      window.parent.postMessage({
        type: 'bgis:view',
        center: [Number(c.lat.toFixed(5)), Number(c.lng.toFixed(5))],
        zoom: Math.round(BGIS.map.getZoom()),
        layers: BGIS.visibleIds(),
      }, '*');
    }
  }

  BGIS.mountPage = function (map, page) {
    if (page.mode !== 'embed') return;
    map.on('moveend', announce);
    map.whenReady(announce);
  };
})();
