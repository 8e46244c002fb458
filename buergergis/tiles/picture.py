"""A picture of a map view drawn on the server from the map's own tiles (the print, issue 16).

The city map draws its vector layers from the MVT tiles of :class:`TileProvider` and its raster
layers from the PNG tiles; this module takes the very same tiles (through the same cache) for a
frame of ``width × height`` CSS pixels around a centre at a Web Mercator zoom:

* vector tiles are decoded and written as SVG paths and circles in frame pixels (above zoom 16
  the zoom-16 tile is scaled up, as the browser does),
* raster tiles and – when it can be fetched within a short time – the configured basemap are
  put together into one PNG below the SVG (Pillow).

An unreachable basemap never fails the picture: it is left out and reported
(``basemap_drawn``). Nothing here knows Flask; no SQL is built here.
"""

from __future__ import annotations

import gzip
import io
import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import mapbox_vector_tile
from PIL import Image

from buergergis.store.catalog import LayerRecord
from buergergis.tiles.grid import TileAddress
from buergergis.tiles.provider import TileProvider, TileSpec, zoom_range

log = logging.getLogger("buergergis.tiles.picture")

TILE_PX = 256
#: Metres per CSS pixel at zoom 0 on the equator (Web Mercator).
EQUATOR_M_PER_PX = 2 * math.pi * 6378137.0 / TILE_PX
#: The basemap is asked with these limits; the first failure stops asking.
BASEMAP_TIMEOUT_S = 3.0
BASEMAP_MAX_TILES = 64
BASEMAP_MAX_BYTES = 2 * 1024 * 1024
POINT_RADIUS_PX = 5.0


@dataclass(frozen=True)
class Frame:
    """A view: centre (WGS84), zoom and size in CSS pixels."""

    lat: float
    lon: float
    zoom: int
    width: int
    height: int

    def world(self, zoom: int | None = None) -> tuple[float, float]:
        """Web Mercator pixel position of the centre at ``zoom`` (default: the frame's)."""
        z = self.zoom if zoom is None else zoom
        size = TILE_PX * (1 << z)
        lat = max(min(self.lat, 85.0511), -85.0511)
        x = (self.lon + 180.0) / 360.0 * size
        s = math.sin(math.radians(lat))
        y = (0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)) * size
        return x, y

    def origin(self, zoom: int | None = None) -> tuple[float, float]:
        """World pixel of the frame's top-left corner at ``zoom``."""
        x, y = self.world(zoom)
        f = 1.0 if zoom is None else 2.0 ** (zoom - self.zoom)
        return x - self.width * f / 2, y - self.height * f / 2

    def tiles(self, zoom: int) -> list[tuple[int, int]]:
        """Tile columns and rows of ``zoom`` that the frame touches."""
        left, top = self.origin(zoom)
        f = 2.0 ** (zoom - self.zoom)
        last = (1 << zoom) - 1
        x0, x1 = (
            max(0, math.floor(left / TILE_PX)),
            min(last, math.floor((left + self.width * f) / TILE_PX)),
        )
        y0, y1 = (
            max(0, math.floor(top / TILE_PX)),
            min(last, math.floor((top + self.height * f) / TILE_PX)),
        )
        return [(x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]

    @property
    def metres_per_px(self) -> float:
        """Ground metres of one CSS pixel at the centre."""
        return EQUATOR_M_PER_PX * math.cos(math.radians(self.lat)) / (1 << self.zoom)


@dataclass(frozen=True)
class Paint:
    """How a vector layer is drawn (the map's style: colours, classes)."""

    color: str
    fill: str
    fill_opacity: float
    weight: float
    opacity: float = 1.0
    classify: Callable[[dict[str, Any]], str | None] | None = None
    keep: Callable[[dict[str, Any]], bool] | None = None  # e.g. "nothing past" of the map


@dataclass(frozen=True)
class PrintLayer:
    """A layer to draw, bottom first."""

    record: LayerRecord
    paint: Paint


@dataclass
class Picture:
    """The drawn view: raster part (PNG or None) below the SVG shapes."""

    frame: Frame
    png: bytes | None
    shapes: list[str] = field(default_factory=list)
    basemap_drawn: bool = False
    basemap_failed: bool = False
    drawn: list[str] = field(default_factory=list)  # ids of layers with something in the frame


def draw(
    provider: TileProvider,
    frame: Frame,
    layers: Sequence[PrintLayer],
    basemap_url: str = "",
    fetch: Callable[[str], bytes] | None = None,
) -> Picture:
    """The picture of ``frame`` with ``layers`` (bottom first) over the basemap, if reachable."""
    canvas: Image.Image | None = None
    picture = Picture(frame, None)
    if basemap_url:
        canvas = _basemap(frame, basemap_url, fetch or _http_get)
        picture.basemap_drawn = canvas is not None
        picture.basemap_failed = canvas is None
    for layer in layers:
        record = layer.record
        low, high = zoom_range([record], record.kind == "vector")
        if frame.zoom < low:
            continue  # the map does not show it at this zoom either
        tile_zoom = min(frame.zoom, high)
        if record.kind == "vector":
            shapes = list(_vector(provider, frame, layer, tile_zoom))
            if shapes:
                picture.shapes.append(f'<g data-layer="{record.id}">{"".join(shapes)}</g>')
                picture.drawn.append(record.id)
        else:
            canvas, touched = _raster(provider, frame, layer, tile_zoom, canvas)
            if touched:
                picture.drawn.append(record.id)
    if canvas is not None:
        out = io.BytesIO()
        canvas.save(out, "PNG", optimize=False)
        picture.png = out.getvalue()
    return picture


# ---- vector tiles ------------------------------------------------------------------------


def _vector(provider: TileProvider, frame: Frame, layer: PrintLayer, zoom: int) -> Iterable[str]:
    record = layer.record
    f = 2.0 ** (frame.zoom - zoom)
    left, top = frame.origin(zoom)
    for x, y in frame.tiles(zoom):
        tile = provider.get([record], TileSpec((record.id,), TileAddress(zoom, x, y), "mvt"))
        if tile.empty:
            continue
        data = gzip.decompress(tile.data) if tile.gzipped else tile.data
        decoded = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
        content = decoded.get(record.id)
        if not content:
            continue
        unit = TILE_PX / content["extent"]
        # Tiles carry a buffer beyond their edge, clipped there: cut each tile at its own edge,
        # so the clip lines of the buffer never show as outlines.
        cx, cy = (x * TILE_PX - left) * f, (y * TILE_PX - top) * f
        clip = f"c-{record.id}-{zoom}-{x}-{y}"
        shapes: list[str] = []

        def to_px(
            gx: float, gy: float, x: int = x, y: int = y, unit: float = unit
        ) -> tuple[float, float]:
            return (
                ((x * TILE_PX + gx * unit) - left) * f,
                ((y * TILE_PX + gy * unit) - top) * f,
            )

        for feature in content["features"]:
            shapes.extend(_shape(feature, to_px, layer.paint))
        if shapes:
            size = TILE_PX * f
            yield (
                f'<clipPath id="{clip}"><rect x="{cx:.1f}" y="{cy:.1f}" width="{size:.1f}" '
                f'height="{size:.1f}"/></clipPath><g clip-path="url(#{clip})">{"".join(shapes)}</g>'
            )


def _ring(coords: Sequence[Sequence[float]], to_px: Callable[..., tuple[float, float]]) -> str:
    points = [to_px(c[0], c[1]) for c in coords]
    return "M" + "L".join(f"{px:.1f} {py:.1f}" for px, py in points)


def _shape(
    feature: dict[str, Any], to_px: Callable[..., tuple[float, float]], paint: Paint
) -> Iterable[str]:
    geometry = feature["geometry"]
    kind, coords = geometry["type"], geometry["coordinates"]
    props = feature.get("properties") or {}
    if paint.keep is not None and not paint.keep(props):
        return
    own = paint.classify(props) if paint.classify else None
    stroke, fill = own or paint.color, own or paint.fill
    if kind in {"Point", "MultiPoint"}:
        for c in [coords] if kind == "Point" else coords:
            px, py = to_px(c[0], c[1])
            yield (
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="{POINT_RADIUS_PX}" fill="{stroke}" '
                'stroke="#fff" stroke-width="1.5"/>'
            )
    elif kind in {"LineString", "MultiLineString"}:
        lines = [coords] if kind == "LineString" else coords
        d = "".join(_ring(line, to_px) for line in lines)
        yield (
            f'<path d="{d}" fill="none" stroke="{stroke}" stroke-width="{paint.weight}" '
            f'stroke-opacity="{paint.opacity * 0.9:.2f}" stroke-linejoin="round" stroke-linecap="round"/>'
        )
    elif kind in {"Polygon", "MultiPolygon"}:
        polygons = [coords] if kind == "Polygon" else coords
        d = "".join(_ring(ring, to_px) + "Z" for polygon in polygons for ring in polygon)
        yield (
            f'<path d="{d}" fill="{fill}" fill-opacity="{paint.fill_opacity:.2f}" '
            f'fill-rule="evenodd" stroke="{stroke}" stroke-width="{paint.weight}" '
            f'stroke-opacity="{paint.opacity * 0.9:.2f}" stroke-linejoin="round"/>'
        )


# ---- raster: layers and basemap ------------------------------------------------------------


def _blank(frame: Frame) -> Image.Image:
    return Image.new("RGBA", (frame.width, frame.height), (0, 0, 0, 0))


def _paste(canvas: Image.Image, frame: Frame, zoom: int, x: int, y: int, tile: Image.Image) -> None:
    """Put a tile of ``zoom`` at its place in the frame (scaled up above the tile's zoom)."""
    f = 2.0 ** (frame.zoom - zoom)
    left, top = frame.origin(zoom)
    size = max(1, round(TILE_PX * f))
    px, py = round((x * TILE_PX - left) * f), round((y * TILE_PX - top) * f)
    tile = tile.convert("RGBA")
    if tile.size != (size, size):
        tile = tile.resize((size, size), Image.Resampling.BILINEAR)
    _paste_clipped(canvas, tile, px, py)


def _paste_clipped(canvas: Image.Image, tile: Image.Image, px: int, py: int) -> None:
    """``alpha_composite`` refuses negative positions: cut the part left of/above the frame."""
    cx, cy = max(0, -px), max(0, -py)
    if cx >= tile.width or cy >= tile.height:
        return
    canvas.alpha_composite(tile.crop((cx, cy, tile.width, tile.height)), (max(px, 0), max(py, 0)))


def _raster(
    provider: TileProvider, frame: Frame, item: PrintLayer, zoom: int, canvas: Image.Image | None
) -> tuple[Image.Image | None, bool]:
    record, layer = item.record, _blank(frame)
    touched = False
    for x, y in frame.tiles(zoom):
        spec = TileSpec((record.id,), TileAddress(zoom, x, y), "png")
        tile = provider.get([record], spec)
        image = Image.open(io.BytesIO(tile.data))
        if image.getbbox() is None:
            continue
        touched = True
        _paste(layer, frame, zoom, x, y, image)
    if not touched:
        return canvas, False
    opacity = item.paint.opacity
    if opacity < 1.0:
        alpha = layer.getchannel("A").point(lambda a: round(a * opacity))
        layer.putalpha(alpha)
    base = canvas if canvas is not None else _blank(frame)
    base.alpha_composite(layer)
    return base, True


def _http_get(url: str) -> bytes:
    with httpx.Client(timeout=BASEMAP_TIMEOUT_S, follow_redirects=False) as client:
        response = client.get(url, headers={"User-Agent": "BuergerGIS-Druck"})
        response.raise_for_status()
        if len(response.content) > BASEMAP_MAX_BYTES:
            raise ValueError("Kachel zu groß")
        return response.content


def tile_url(template: str, z: int, x: int, y: int) -> str:
    """A tile URL from an XYZ template (``{s}`` → ``a``, ``{r}`` → empty)."""
    return (
        template.replace("{s}", "a").replace("{r}", "")
        .replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))
    )  # fmt: skip


def _basemap(frame: Frame, template: str, fetch: Callable[[str], bytes]) -> Image.Image | None:
    """The basemap below the frame, or None when it cannot be fetched (first failure stops)."""
    zoom = min(frame.zoom, 19)
    tiles = frame.tiles(zoom)
    if len(tiles) > BASEMAP_MAX_TILES:
        log.info("basemap: %d tiles are too many for a print, left out", len(tiles))
        return None
    canvas = Image.new("RGBA", (frame.width, frame.height), (255, 255, 255, 255))
    for x, y in tiles:
        try:
            image = Image.open(io.BytesIO(fetch(tile_url(template, zoom, x, y))))
            image.load()
        except Exception as exc:  # any failure: print without the basemap
            log.warning("basemap unreachable for the print: %s", type(exc).__name__)
            return None
        _paste(canvas, frame, zoom, x, y, image)
    return canvas
