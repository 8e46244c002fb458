"""Map building without a database: folium output, assets, CSP, view parameters, embeds."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime

import folium
import folium.plugins
import pytest

from buergergis.catalog.models import Attribute, RasterLayer, Source, Style, VectorLayer
from buergergis.errors import InvalidParameter, NotFound
from buergergis.maps import csp, embed
from buergergis.maps.assets import localize_folium
from buergergis.maps.build import Basemap, build_city_map, build_embed_map, render, visible_ids
from buergergis.maps.i18n import Lang, texts
from buergergis.maps.layers import MapLayer, map_layer
from buergergis.maps.view import MapView, parse_view
from buergergis.settings import HomeView
from buergergis.store.catalog import LayerRecord

REMOTE = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.I)


def record(
    definition: VectorLayer | RasterLayer, geometry: str | None = "Point", count: int = 3
) -> LayerRecord:
    """A catalog record as the store would return it."""
    return LayerRecord(
        definition=definition,
        origin="yaml",
        version=7,
        feature_count=count,
        geometry_type=geometry,
        bbox=(9.30, 52.05, 9.45, 52.15),
        storage_srid=25832,
        source_checksum=None,
        loaded_at=datetime(2026, 1, 2, tzinfo=UTC),
        report={},
        data_table=None,
        raster_path=None,
    )


def vector(layer_id: str = "kitas", **changes: object) -> VectorLayer:
    """A small point layer definition."""
    base = {
        "id": layer_id,
        "title": "Kitas </script><b>fett</b>",
        "title_en": "Day care",
        "category": "Familie & Bildung",
        "source": Source(path="x.geojson"),
        "attributes": (
            Attribute(name="name", title="Name"),
            Attribute(name="adresse", title="Adresse"),
        ),
        "style": Style(color="#e66101", icon="child", cluster=True),
        "popup": ("name", "adresse"),
        "search": ("name",),
    }
    base.update(changes)
    return VectorLayer(**base)  # type: ignore[arg-type]


def layers(lang: Lang = "de") -> list[MapLayer]:
    """A point layer, a tiled polygon layer and a raster layer."""
    tiled = vector(
        "flurstuecke", title="Flurstücke", style=Style(tiles=True), category="Planen & Bauen"
    )
    raster = RasterLayer(kind="raster", id="gelaende", title="Gelände", source=Source(path="g.tif"))
    return [
        map_layer(record(vector()), lang),
        map_layer(record(tiled, "MultiPolygon", 15000), lang),
        map_layer(record(raster, None), lang),
    ]


NO_BASEMAP = Basemap("", "")
DEFAULT_VIEW = MapView()


def city_html(view: MapView = DEFAULT_VIEW, basemap: Basemap = NO_BASEMAP) -> str:
    """The rendered parts of the city map as one string."""
    rendered = render(build_city_map(layers(view.lang), view, basemap, texts(view.lang)))
    return str(rendered.head) + str(rendered.html) + str(rendered.script)


def test_city_map_links_only_local_assets() -> None:
    html = city_html()
    assert not REMOTE.search(html), REMOTE.search(html)
    for path in (
        "vendor/leaflet/leaflet.js",
        "vendor/leaflet.markercluster",
        "vendor/leaflet.locatecontrol",
        "js/layers.js",
        "js/page.js",
    ):
        assert f"/static/{path}" in html


def test_city_map_never_disables_zooming_and_has_no_inline_header_script() -> None:
    rendered = render(build_city_map(layers(), MapView(), Basemap("", ""), texts("de")))
    assert "user-scalable" not in str(rendered.head) and "maximum-scale" not in str(rendered.head)
    assert "<script>" not in str(rendered.head)  # only <script src=…> links; one inline script
    assert 'aria-label="Interaktive Karte"' in rendered.html


def test_layer_titles_cannot_break_out_of_the_inline_script() -> None:
    script = str(render(build_city_map(layers(), MapView(), Basemap("", ""), texts("de"))).script)
    assert "</script>" not in script and "<b>" not in script
    assert "\\u003c/script\\u003e" in script


def test_csp_hash_is_the_hash_of_the_inline_script() -> None:
    rendered = render(build_embed_map(layers()[:1], MapView(), Basemap("", ""), texts("de")))
    digest = base64.b64encode(hashlib.sha256(str(rendered.script).encode()).digest()).decode()
    assert rendered.csp_hash == f"'sha256-{digest}'"


def test_render_modes_per_layer() -> None:
    script = str(render(build_city_map(layers(), MapView(), Basemap("", ""), texts("de"))).script)
    configs = {c["id"]: c for c in map(json.loads, _configs(script))}
    assert configs["kitas"]["render"] == "cluster"
    assert configs["flurstuecke"]["render"] == "vectortiles"
    assert configs["gelaende"]["render"] == "raster"
    assert configs["kitas"]["urls"]["items"] == "/ogc/collections/kitas/items"
    version = configs["flurstuecke"]["version"]
    assert (
        configs["flurstuecke"]["urls"]["mvt"]
        == f"/tiles/v/flurstuecke@{version}/{{z}}/{{x}}/{{y}}.mvt"
    )
    assert configs["gelaende"]["urls"]["png"] == "/tiles/gelaende/{z}/{x}/{y}.png"
    # tiled and raster layers are off unless the URL names them
    assert [c["visible"] for c in configs.values()] == [True, False, False]


def _configs(script: str) -> list[str]:
    """The JSON configs passed to BGIS.layer(map, {...})."""
    found = []
    for match in re.finditer(r"BGIS\.layer\(\s*map_\w+, (\{.*?\n\})\);", script, re.S):
        text = re.sub(r",(\s*[}\]])", r"\1", match.group(1))  # folium's trailing commas
        found.append(text)
    return found


def test_embed_map_is_lean_and_does_not_zoom_on_wheel() -> None:
    rendered = render(build_embed_map(layers()[:1], MapView(), Basemap("", ""), texts("de")))
    head = str(rendered.head)
    for heavy in ("jquery", "bootstrap", "fontawesome", "maplibre", "locatecontrol", "fullscreen"):
        assert heavy not in head.lower()
    assert '"scrollWheelZoom": false' in rendered.script


def test_view_from_url_wins_over_the_extent() -> None:
    view = MapView(center=(52.1, 9.36), zoom=15, layers=("flurstuecke",))
    script = str(render(build_city_map(layers(), view, Basemap("", ""), texts("de"))).script)
    assert "center: [52.1, 9.36]" in script and '"zoom": 15' in script and "fitBounds" not in script
    configs = {c["id"]: c for c in map(json.loads, _configs(script))}
    assert [c["visible"] for c in configs.values()] == [False, True, False]


def test_basemap_is_added_unless_switched_off() -> None:
    basemap = Basemap("https://tiles.example/{z}/{x}/{y}.png", "© Test")
    assert "tiles.example" in city_html(basemap=basemap)
    assert "tiles.example" not in city_html(MapView(basemap="none"), basemap)


def test_english_texts_and_titles() -> None:
    html = city_html(MapView(lang="en"))
    assert "Zoom in" in html and "Day care" in html and "Vergr" not in html


def test_localize_folium_replaces_every_cdn_link() -> None:
    localize_folium()
    fmap = folium.Map(location=[52.1, 9.36])
    folium.plugins.MarkerCluster().add_to(fmap)
    folium.plugins.Fullscreen().add_to(fmap)
    folium.plugins.LocateControl().add_to(fmap)
    folium.Marker([52.1, 9.36], icon=folium.Icon(icon="info-sign")).add_to(fmap)
    html = fmap.get_root().render()
    links = re.findall(r"""(?:src|href)="([^"]+\.(?:js|css))""", html)
    assert links and all(link.startswith("/static/vendor/") for link in links), links
    assert "cdn" not in html.lower() and "bootstrapcdn" not in html


def test_localize_folium_with_a_base_url_for_saved_maps() -> None:
    try:
        localize_folium("http://127.0.0.1:5000")
        html = folium.Map().get_root().render()
        assert 'src="http://127.0.0.1:5000/static/vendor/leaflet/leaflet.js"' in html
    finally:
        localize_folium()
    assert 'src="/static/vendor/leaflet/leaflet.js"' in folium.Map().get_root().render()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"center": "52.1"}, "center"),
        ({"center": "91,9"}, "center"),
        ({"center": "nan,nan"}, "center"),
        ({"center": "52.1,9.3,1"}, "center"),
        ({"zoom": "23"}, "zoom"),
        ({"zoom": "1.5"}, "zoom"),
        ({"layers": "Kitas"}, "layers"),
        ({"layers": "a;drop table"}, "layers"),
        ({"layers": ",".join(f"l{i}" for i in range(31))}, "layers"),
        ({"basemap": "osm"}, "basemap"),
        ({"lang": "fr"}, "lang"),
        ({"feature": "kitas"}, "feature"),
    ],
)
def test_bad_view_parameters_are_rejected_in_german(args: dict[str, str], field: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        parse_view(args)
    assert f"'{field}'" in err.value.description and err.value.status == 400


def test_view_round_trips_through_its_query() -> None:
    view = parse_view(
        {
            "center": "52.10370,9.35630",
            "zoom": "14",
            "layers": "kitas,buergeramt",
            "lang": "en",
            "basemap": "none",
            "feature": "kitas:a:b",
            "alle": "1",
        }
    )
    assert view.feature == ("kitas", "a:b") and view.show_past
    assert parse_view(view.query()) == view
    assert "alle" not in parse_view({}).query()


def test_csp_allows_only_the_basemap_host_for_images() -> None:
    policy = csp.policy(
        script_hashes=("'sha256-abc'",),
        basemap_url="https://{s}.tile.example.org/{z}/{x}/{y}.png",
        frame_ancestors="'self' https://hameln.de",
    )
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["script-src"] == "'self' 'sha256-abc'"
    assert directives["img-src"] == "'self' data: blob: https://*.tile.example.org"
    assert directives["connect-src"] == "'self'" and directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'self' https://hameln.de"
    assert "frame-ancestors 'self'; x" not in csp.policy(frame_ancestors="'self'; x")


def test_iframe_snippet_escapes_every_attribute() -> None:
    frame = embed.Frame(
        'https://x/embed?layers=a&lang=en"><script>', 'Karte "Kitas" <b>', "100%", 450
    )
    html = frame.html()
    assert "<script>" not in html and "<b>" not in html
    assert 'src="https://x/embed?layers=a&amp;lang=en&#34;&gt;&lt;script&gt;"' in html


def test_oembed_respects_max_sizes_and_has_xml() -> None:
    frame = embed.Frame("https://x/embed", "Karte", "600", 450)
    data = embed.oembed(frame, "BürgerGIS", "https://x", 400, 300)
    assert (data["type"], data["version"], data["width"], data["height"]) == (
        "rich",
        "1.0",
        400,
        300,
    )
    assert 'width="400" height="300"' in str(data["html"])
    assert b"<oembed><version>1.0</version>" in embed.oembed_xml(data)


def test_oembed_refuses_urls_of_other_sites() -> None:
    with pytest.raises(NotFound):
        embed.view_from_url(
            "https://evil.example/embed?layers=kitas", "https://karte.hameln.de", "karte.hameln.de"
        )
    with pytest.raises(NotFound):
        embed.view_from_url(
            "https://karte.hameln.de/admin/", "https://karte.hameln.de", "karte.hameln.de"
        )
    view = embed.view_from_url(
        "https://karte.hameln.de/?layers=kitas&zoom=12", "https://karte.hameln.de", "x"
    )
    assert view.layers == ("kitas",) and view.zoom == 12


def test_texts_exist_in_both_languages_and_work_in_templates() -> None:
    german, english = texts("de"), texts("en")
    assert german.keys() == english.keys()
    assert not set(german) & set(dir(dict))  # t.copy in Jinja would be dict.copy


def test_without_a_view_the_map_fits_the_city_extent_not_the_layers() -> None:
    """The home view comes from configuration (issue 10): the layers' extent never moves it."""
    script = str(render(build_city_map(layers(), MapView(), NO_BASEMAP, texts("de"))).script)
    assert ".fitBounds([[52.04, 9.26], [52.17, 9.48]], {animate: false});" in script
    home = HomeView((50.0, 8.0), (7.9, 49.9, 8.1, 50.1))
    script = str(
        render(build_city_map(layers(), MapView(), NO_BASEMAP, texts("de"), home=home)).script
    )
    assert ".fitBounds([[49.9, 7.9], [50.1, 8.1]], {animate: false});" in script


def test_large_layers_become_vector_tiles_and_start_hidden() -> None:
    big = map_layer(record(vector("gross", style=Style()), "MultiPolygon", 200_000))
    small = map_layer(record(vector("klein", style=Style()), "MultiPolygon", 50))
    assert (big.render, small.render) == ("vectortiles", "geojson")
    assert visible_ids([big, small], MapView()) == {"klein"}
