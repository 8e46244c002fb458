/* Small Leaflet maps of the service pages (no inline script: CSP script-src 'self').
 * #lot-map: wood lots from <script type="application/json" id="lot-data">, coloured by status,
 *           with a link to the Kaufanfrage for free lots.
 * #pick-map: click to choose a point for "Mein Ort" (navigates to data-pick?lat=&lon=).
 */
(function () {
  "use strict";
  var HAMELN = [52.1037, 9.3563];
  var COLOURS = { frei: "#1b7837", reserviert: "#b35806", verkauft: "#6b6b6b" };

  function baseMap(el) {
    var map = L.map(el, { scrollWheelZoom: false }).setView(HAMELN, 12);
    var url = el.getAttribute("data-basemap");
    if (url) {
      L.tileLayer(url, { maxZoom: 19, attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
    }
    return map;
  }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value == null ? "" : String(value);
    return span;
  }

  function popup(props) {
    var box = document.createElement("div");
    var title = document.createElement("strong");
    title.textContent = "Los " + props.fid;
    box.appendChild(title);
    ["holzart", "sortiment", "menge_rm", "preis_rm", "status"].forEach(function (key) {
      if (props[key]) {
        box.appendChild(document.createElement("br"));
        box.appendChild(text(props[key]));
      }
    });
    if (props.status === "frei") {
      var link = document.createElement("a");
      link.href = "/holzverkauf/anfrage?los=" + encodeURIComponent(props.fid);
      link.textContent = "Kaufanfrage";
      box.appendChild(document.createElement("br"));
      box.appendChild(link);
    }
    return box;
  }

  function lotMap(el) {
    var data = document.getElementById("lot-data");
    var features = data ? JSON.parse(data.textContent) : [];
    var map = baseMap(el);
    var layer = L.geoJSON({ type: "FeatureCollection", features: features }, {
      style: function (f) {
        var colour = COLOURS[f.properties.status] || "#1f6fb2";
        return { color: colour, fillColor: colour, weight: 2, fillOpacity: 0.45 };
      },
      onEachFeature: function (f, l) {
        l.bindPopup(popup(f.properties));
      }
    }).addTo(map);
    if (features.length) {
      map.fitBounds(layer.getBounds(), { padding: [20, 20] });
    }
    el.setAttribute("data-ready", String(features.length));
  }

  function pickMap(el) {
    var map = baseMap(el);
    var target = el.getAttribute("data-pick");
    map.on("click", function (e) {
      window.location.href = target + "?lat=" + e.latlng.lat.toFixed(6) + "&lon=" + e.latlng.lng.toFixed(6);
    });
    el.setAttribute("data-ready", "1");
  }

  var lots = document.getElementById("lot-map");
  if (lots && window.L) { lotMap(lots); }
  var pick = document.getElementById("pick-map");
  if (pick && window.L) { pickMap(pick); }
})();
