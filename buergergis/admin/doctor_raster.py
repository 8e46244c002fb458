"""The Upload-Doktor for rasters: CRS, size, bands, nodata, value range and a preview image.

A GeoTIFF may come alone or in a zip with its world file (``.tfw``) and ``.prj``: GDAL reads
the world file itself; a ``.prj`` next to it supplies the CRS when the TIFF has none.
Publishing converts it to a Cloud-Optimized GeoTIFF with overviews (``ingest.raster``).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rasterio
from pyproj import CRS
from pyproj.exceptions import CRSError
from rasterio.errors import RasterioError
from rio_tiler.errors import RioTilerError

from buergergis.admin.doctor import PreviewOptions
from buergergis.admin.uploads import Dataset, Upload
from buergergis.errors import LoadError
from buergergis.ingest.raster import check_raster
from buergergis.ingest.report import LoadReport

PREVIEW_PIXELS = 512
#: Colour ramps offered for one-band rasters (rio-tiler names).
COLORMAPS = {
    "terrain": "Gelände (grün–braun–weiß)",
    "viridis": "Viridis (blau–grün–gelb)",
    "greys": "Graustufen",
    "blues": "Blautöne (z. B. Wassertiefe)",
    "rdylgn": "Rot–Gelb–Grün",
    "spectral": "Spektral",
}
MODES = {
    "colormap": "Farbverlauf",
    "hillshade": "Schummerung (Geländerelief)",
    "rgb": "Farbbild (3 Kanäle, unverändert)",
}


@dataclass
class RasterPreview:
    """What the doctor shows about a raster."""

    dataset: Dataset
    crs: str | None
    crs_from_prj: bool
    width: int
    height: int
    bands: int
    dtype: str
    nodata: float | None
    bounds: tuple[float, float, float, float]
    value_min: float | None
    value_max: float | None
    size_mb: float
    image: str  # data: URI of a PNG preview
    warnings: list[str] = field(default_factory=list)

    @property
    def suggested_mode(self) -> str:
        """RGB for three-band byte images, a colour ramp otherwise."""
        return "rgb" if self.bands >= 3 and self.dtype == "uint8" else "colormap"

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API (the image as a data: URI)."""
        return {
            "dataset": self.dataset.key,
            "kind": "raster",
            "crs": self.crs,
            "crs_from_prj": self.crs_from_prj,
            "width": self.width,
            "height": self.height,
            "bands": self.bands,
            "dtype": self.dtype,
            "nodata": self.nodata,
            "bounds_wgs84": list(self.bounds),
            "values": {"min": self.value_min, "max": self.value_max},
            "size_mb": self.size_mb,
            "suggested_mode": self.suggested_mode,
            "preview_png": self.image,
            "warnings": self.warnings,
        }


def prj_crs(tif: Path) -> str | None:
    """The CRS of a ``.prj`` next to the TIFF (as ``EPSG:n`` when it has a code, else WKT)."""
    for prj in tif.parent.iterdir():
        if prj.stem.lower() == tif.stem.lower() and prj.suffix.lower() == ".prj":
            try:
                crs = CRS.from_user_input(prj.read_text("utf-8", errors="replace"))
            except CRSError:
                return None
            code = crs.to_epsg(min_confidence=70)
            return f"EPSG:{code}" if code else crs.to_wkt()
    return None


def raster_crs_override(upload: Upload, dataset: Dataset, options: PreviewOptions) -> str | None:
    """The CRS to use: the doctor's field, else a ``.prj`` when the TIFF has no CRS itself."""
    if options.crs:
        return options.crs
    path = upload.path(dataset)
    with rasterio.open(path) as src:
        if src.crs is not None:
            return None
    return prj_crs(path)


def build_raster_preview(upload: Upload, options: PreviewOptions) -> RasterPreview:
    """Check the raster and draw a small preview (errors: a German :class:`LoadError`)."""
    dataset = upload.dataset(options.dataset)
    path = upload.path(dataset)
    override = raster_crs_override(upload, dataset, options)
    report = LoadReport(layer_id="vorschau")
    meta = check_raster(path, override, report)
    preview = RasterPreview(
        dataset=dataset,
        crs=meta["crs"],
        crs_from_prj=bool(override) and not options.crs,
        width=meta["width"],
        height=meta["height"],
        bands=meta["count"],
        dtype=str(meta["dtype"]),
        nodata=meta["nodata"],
        bounds=tuple(float(b) for b in meta["bounds"]),  # type: ignore[arg-type]
        value_min=meta["stats"]["min"],
        value_max=meta["stats"]["max"],
        size_mb=round(path.stat().st_size / 1024 / 1024, 2),
        image=_preview_png(path, meta),
    )
    if meta["stats"]["min"] is None:
        preview.warnings.append("Das Raster enthält nur NoData-Werte – es wäre unsichtbar.")
    if preview.crs_from_prj:
        preview.warnings.append(f"Das KBS stammt aus der .prj-Datei: {preview.crs}.")
    return preview


def _preview_png(path: Path, meta: dict[str, Any]) -> str:
    """A PNG (as data: URI) of the whole raster, at most ``PREVIEW_PIXELS`` wide."""
    from rio_tiler.colormap import cmap
    from rio_tiler.io import Reader

    low, high = meta["stats"]["min"], meta["stats"]["max"]
    rgb = meta["count"] >= 3 and str(meta["dtype"]) == "uint8"
    try:
        with Reader(str(path)) as reader:
            if rgb:
                png = reader.preview(indexes=(1, 2, 3), max_size=PREVIEW_PIXELS).render(
                    img_format="PNG"
                )
            else:
                image = reader.preview(indexes=1, max_size=PREVIEW_PIXELS)
                if low is not None and high is not None and high > low:
                    image.rescale(in_range=((low, high),))
                png = image.render(img_format="PNG", colormap=cmap.get("terrain"))
    except (RioTilerError, RasterioError) as exc:
        raise LoadError(f"Keine Vorschau möglich: {str(exc)[:200]}") from None
    return "data:image/png;base64," + base64.b64encode(png).decode()
