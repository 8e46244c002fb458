// Upload-Doktor map: draws the previewed features; popups are built with textContent only,
// so attribute values from uploads can never become HTML.
(function () {
  "use strict";
  var element = document.getElementById("preview-map");
  var source = document.getElementById("preview-data");
  if (!element || !source || typeof L === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var map = L.map(element, { scrollWheelZoom: false });
  if (element.dataset.basemap) {
    L.tileLayer(element.dataset.basemap, { maxZoom: 19 }).addTo(map);
    var text = document.createElement("span");
    text.textContent = element.dataset.attribution || "";
    map.attributionControl.addAttribution(text.innerHTML);
  }

  function popup(feature) {
    var table = document.createElement("table");
    table.className = "preview-popup";
    var rows = [["ID", feature.id]].concat(Object.entries(feature.properties || {}));
    rows.forEach(function (pair) {
      var tr = table.insertRow();
      var th = document.createElement("th");
      th.textContent = pair[0];
      tr.appendChild(th);
      tr.insertCell().textContent = pair[1] === null ? "" : String(pair[1]);
    });
    return table;
  }

  var layer = L.geoJSON(data, {
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, { radius: 6, weight: 2 });
    },
    onEachFeature: function (feature, lyr) {
      lyr.bindPopup(function () { return popup(feature); });
    },
  }).addTo(map);
  var bounds = layer.getBounds();
  if (bounds.isValid()) {
    map.fitBounds(bounds, { maxZoom: 16, padding: [10, 10] });
  } else {
    map.setView([52.1036, 9.3561], 12);
  }
  element.dataset.ready = "true";
}());
