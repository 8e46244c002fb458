"""OGC exception bodies for errors under /wms, /wmts and /csw (used by web/errors.py)."""

from __future__ import annotations

from lxml import etree

OWS_PREFIXES = ("/wms", "/wmts", "/csw")
_WMS = "http://www.opengis.net/ogc"
_OWS = "http://www.opengis.net/ows/1.1"
_OWS_100 = "http://www.opengis.net/ows"
#: Our error codes → OGC exception codes.
_CODES = {
    "InvalidParameterValue": "InvalidParameterValue",
    "NotFound": "InvalidParameterValue",
    "MissingParameterValue": "MissingParameterValue",
}


def is_ows_path(path: str) -> bool:
    """Whether a request path belongs to the OGC services (WMS, WMTS, CSW)."""
    return any(path == p or path.startswith(p + "/") for p in OWS_PREFIXES)


def exception_report(path: str, code: str, text: str) -> tuple[bytes, str]:
    """The OGC exception document and its media type: WMS 1.3.0 ServiceExceptionReport,
    OWS 1.1 ExceptionReport for WMTS, OWS 1.0 for CSW 2.0.2."""
    ogc_code = _CODES.get(code, "NoApplicableCode")
    if path == "/wms" or path.startswith("/wms/"):
        root = etree.Element(
            f"{{{_WMS}}}ServiceExceptionReport", nsmap={None: _WMS}, version="1.3.0"
        )
        node = etree.SubElement(root, f"{{{_WMS}}}ServiceException", code=ogc_code)
        node.text = text
        media = "text/xml"
    else:
        ns, version = (_OWS_100, "1.2.0") if path.startswith("/csw") else (_OWS, "2.0.0")
        root = etree.Element(f"{{{ns}}}ExceptionReport", nsmap={"ows": ns}, version=version)
        node = etree.SubElement(root, f"{{{ns}}}Exception", exceptionCode=ogc_code)
        etree.SubElement(node, f"{{{ns}}}ExceptionText").text = text
        media = "application/xml"
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8"), media
