"""SQL identifiers: only names from validated layer definitions, always quoted."""

from __future__ import annotations

import re

from buergergis.catalog.models import ATTRIBUTE_PATTERN, ID_PATTERN

_ID = re.compile(ID_PATTERN)
_COLUMN = re.compile(ATTRIBUTE_PATTERN)
_TABLE = re.compile(r"^[a-z][a-z0-9_-]*__v[0-9]+$")

DATA_SCHEMA = "layerdata"
VIEW_SCHEMA = "layers"
#: Polygon version tables: each feature's minimum clearance in metres (``shapely.minimum_clearance``,
#: computed while loading), so tiles can tell which features survive snapping to the tile grid
#: unchanged in topology. The name lies outside the attribute pattern: it never clashes with one.
CLEARANCE_COLUMN = '"mvt-clearance"'


def quote_ident(name: str) -> str:
    """Double-quote an identifier that has already been validated."""
    if not name or "\x00" in name or len(name) > 63:
        raise ValueError(f"invalid identifier {name!r}")
    return '"' + name.replace('"', '""') + '"'


def column(name: str) -> str:
    """A quoted attribute column; the name must match the attribute pattern."""
    if not _COLUMN.match(name):
        raise ValueError(f"invalid column name {name!r}")
    return quote_ident(name)


def layer_view(layer_id: str) -> str:
    """The live relation of a layer: ``layers."<id>"`` (a view on the current version table)."""
    if not _ID.match(layer_id):
        raise ValueError(f"invalid layer id {layer_id!r}")
    return f"{VIEW_SCHEMA}.{quote_ident(layer_id)}"


def version_table_name(layer_id: str, version: int) -> str:
    """Unqualified name of the table holding one version of a layer."""
    if not _ID.match(layer_id):
        raise ValueError(f"invalid layer id {layer_id!r}")
    return f"{layer_id}__v{int(version)}"


def data_table(name: str) -> str:
    """Qualified, quoted version table ``layerdata."<id>__v<n>"``."""
    if not _TABLE.match(name):
        raise ValueError(f"invalid data table {name!r}")
    return f"{DATA_SCHEMA}.{quote_ident(name)}"
