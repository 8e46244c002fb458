"""Select, rename and cast the published attributes; derive stable feature ids."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from buergergis.catalog.models import COLUMN_SQL_TYPES, Attribute
from buergergis.errors import LoadError

SQL_TYPES = COLUMN_SQL_TYPES
_TRUE = {"true", "t", "1", "ja", "j", "yes", "y", "wahr", "x"}
_FALSE = {"false", "f", "0", "nein", "n", "no", "falsch", ""}


@dataclass
class Columns:
    """Published attribute values, cast to their types (pandas Series, one per attribute)."""

    attributes: tuple[Attribute, ...]
    series: dict[str, pd.Series]

    @cached_property
    def values(self) -> dict[str, list[Any]]:
        """The same values as Python lists (``None`` for missing), for previews and diffs."""
        return {name: _to_python(s) for name, s in self.series.items()}


def find_column(frame: pd.DataFrame, name: str) -> str:
    if name in frame.columns:
        return name
    lower = {str(c).lower(): c for c in frame.columns}
    if name.lower() in lower:
        return str(lower[name.lower()])
    available = ", ".join(str(c) for c in frame.columns if c != "geometry")
    raise LoadError(f"Spalte '{name}' fehlt in der Quelle. Vorhanden: {available or 'keine'}")


def select_columns(frame: pd.DataFrame, attributes: tuple[Attribute, ...]) -> Columns:
    """Cast each published attribute from its source column (errors name column and value)."""
    series = {}
    for attr in attributes:
        source = frame[find_column(frame, attr.source or attr.name)]
        series[attr.name] = cast(source, attr).reset_index(drop=True)
    return Columns(attributes, series)


def cast(series: pd.Series, attr: Attribute) -> pd.Series:
    """Cast a column to the attribute's type; values that do not fit raise a LoadError."""
    caster = _CASTERS[attr.type]
    result = caster(series)
    suspect = series.notna() & result.isna()  # only these values can have failed
    if not suspect.any():
        return result
    bad = suspect & (series.astype("string").str.strip() != "")
    if bad.any():
        example = series[bad].iloc[0]
        raise LoadError(
            f"Spalte '{attr.source or attr.name}': Wert '{example}' passt nicht zum Typ '{attr.type}' "
            f"({int(bad.sum())} Werte betroffen)"
        )
    return result


def _text(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s.dt.strftime("%Y-%m-%d").astype("string")
    return s.astype("string")


def _integer(s: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(
        s.astype("string").str.strip().str.replace(",", ".", regex=False), errors="coerce"
    )
    whole = numbers.where(numbers.isna() | (numbers % 1 == 0))
    return whole.astype("Int64")


def _float(s: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s.dtype):
        return s.astype("Float64")
    text = s.astype("string").str.strip().str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("Float64")


def _boolean(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean")
    text = s.astype("string").str.strip().str.lower()
    mapped = text.map(
        lambda v: True if v in _TRUE else (False if v in _FALSE else None), na_action="ignore"
    )
    return mapped.astype("boolean")


def _dates(s: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    text = s.astype("string").str.strip()
    iso = pd.to_datetime(text, errors="coerce", format="ISO8601")
    german = pd.to_datetime(text, errors="coerce", format="%d.%m.%Y")
    return iso.fillna(german)


def _date(s: pd.Series) -> pd.Series:
    values = _dates(s)
    return values.dt.date.astype(object).where(values.notna())


def _datetime(s: pd.Series) -> pd.Series:
    values = _dates(s)
    if values.dt.tz is None:
        values = values.dt.tz_localize(
            "Europe/Berlin", ambiguous="NaT", nonexistent="shift_forward"
        )
    return values


def _json(s: pd.Series) -> pd.Series:
    return s.map(
        lambda v: json.dumps(v, ensure_ascii=False, default=str), na_action="ignore"
    ).astype("string")


_CASTERS = {
    "text": _text,
    "integer": _integer,
    "float": _float,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "json": _json,
}


def _to_python(series: pd.Series) -> list[Any]:
    objects = series.astype(object)
    return objects.where(series.notna(), None).tolist()


def feature_ids(
    frame: pd.DataFrame, id_column: str | None, name: str | None = None
) -> tuple[np.ndarray, list[str]]:
    """(gid, fid): integer ids for ordering/MVT and the public feature id as text.

    ``name`` is the id column's name in messages (default ``id_column``).
    """
    n = len(frame)
    if not id_column:
        gids = np.arange(1, n + 1, dtype=np.int64)
        return gids, [str(g) for g in gids]
    series = frame[find_column(frame, id_column)]
    id_column = name or id_column
    if series.isna().any():
        raise LoadError(f"id_column '{id_column}': {int(series.isna().sum())} Objekte ohne ID")
    if series.duplicated().any():
        dup = series[series.duplicated()].iloc[0]
        raise LoadError(f"id_column '{id_column}' ist nicht eindeutig (z. B. '{dup}' mehrfach)")
    if pd.api.types.is_integer_dtype(series.dtype) and (series >= 0).all():
        gids = series.to_numpy(dtype=np.int64)
        return gids, [str(v) for v in gids]
    gids = np.arange(1, n + 1, dtype=np.int64)
    return gids, [str(v) for v in series.tolist()]
