"""The metadata catalogue (pycsw): CSW 2.0.2 and OGC API – Records of the public layers.

pycsw keeps its records in a SQL table. Ours is a small SQLite file under ``var/cache/csw``,
written from the layer catalog whenever the layer versions (or the public address) change —
so the records follow every load, edit, publishing and deletion without a sync job, and a
private layer never has a record. The file is built beside the old one and swapped in.

pycsw 3.0's repository constructor still uses SQLAlchemy 1.x calls (``declarative_base(bind=)``,
``create_session``, ``autoload``); :class:`CatalogueRepository` is the same constructor for
SQLAlchemy 2 (SQLite only) and is put in its place. Its query methods are pycsw's own.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pycsw.core import metadata as pycsw_metadata
from pycsw.core import repository as pycsw_repository
from pycsw.core.config import StaticContext
from sqlalchemy import Column, Float, MetaData, Table, Text, Unicode, create_engine, func
from sqlalchemy.orm import Session, declarative_base

from buergergis.ows.metadata import CONTACT, SERVICE_ABSTRACT, SERVICE_KEYWORDS, SERVICE_TITLE
from buergergis.ows.records import iso19139, public_records
from buergergis.store.catalog import LayerRecord

TABLE = "records"
_TEXT_COLUMNS = [
    "typename",
    "schema",
    "mdsource",
    "insert_date",
    "anytext",
    "metadata_type",
    "language",
    "type",
    "title",
    "title_alternate",
    "abstract",
    "edition",
    "keywords",
    "keywordstype",
    "themes",
    "parentidentifier",
    "relation",
    "time_begin",
    "time_end",
    "topicategory",
    "resourcelanguage",
    "creator",
    "publisher",
    "contributor",
    "organization",
    "securityconstraints",
    "accessconstraints",
    "otherconstraints",
    "date",
    "date_revision",
    "date_creation",
    "date_publication",
    "date_modified",
    "format",
    "source",
    "crs",
    "geodescode",
    "denominator",
    "distancevalue",
    "distanceuom",
    "wkt_geometry",
    "servicetype",
    "servicetypeversion",
    "operation",
    "couplingtype",
    "operateson",
    "operatesonidentifier",
    "operatesoname",
    "degree",
    "classification",
    "conditionapplyingtoaccessanduse",
    "lineage",
    "responsiblepartyrole",
    "specificationtitle",
    "specificationdate",
    "specificationdatetype",
    "platform",
    "instrument",
    "sensortype",
    "cloudcover",
    "bands",
    "links",
    "contacts",
]


def _table(meta: MetaData) -> Table:
    """pycsw's record table (the columns of ``pycsw.core.repository.setup``)."""
    return Table(
        TABLE,
        meta,
        Column("identifier", Text, primary_key=True),
        Column("xml", Unicode, nullable=False),
        Column("metadata", Unicode),
        Column("vert_extent_min", Float),
        Column("vert_extent_max", Float),
        *(Column(name, Text, index=name in {"title", "typename"}) for name in _TEXT_COLUMNS),
    )


class CatalogueRepository(pycsw_repository.Repository):
    """pycsw's repository, constructed with SQLAlchemy 2 (SQLite)."""

    def __init__(
        self,
        database: str,
        context: Any,
        app_root: str | None = None,
        table: str = TABLE,
        repo_filter: str | None = None,
    ) -> None:
        self.context = context
        self.filter = repo_filter
        self.fts = False
        self.database = database
        self.table = table
        self.engine = pycsw_repository.Repository.create_engine(database)
        base = declarative_base()
        self.dataset = type(
            "dataset",
            (base,),
            {"__tablename__": table, "__table_args__": {"autoload_with": self.engine}},
        )
        self.dbtype = self.engine.name
        # Read-only: pycsw's JSON writer changes loaded records in place (never written back).
        self.session = Session(self.engine, autoflush=False)
        self.func = func
        self.postgis_geometry_column = None
        d: Any = self.dataset
        self.query_mappings = {
            "identifier": d.identifier,
            "type": d.type,
            "typename": d.typename,
            "parentidentifier": d.parentidentifier,
            "collections": d.parentidentifier,
            "updated": d.insert_date,
            "title": d.title,
            "description": d.abstract,
            "keywords": d.keywords,
            "edition": d.edition,
            "anytext": d.anytext,
            "bbox": d.wkt_geometry,
            "date": d.date,
            "time_begin": d.time_begin,
            "time_end": d.time_end,
            "platform": d.platform,
            "instrument": d.instrument,
            "sensortype": d.sensortype,
        }
        self.queryables: dict[str, dict[str, Any]] = {}
        for typename in self.context.model["typenames"].values():
            for name, values in typename["queryables"].items():
                self.queryables.setdefault(name, {}).update(values)
        everything: dict[str, Any] = {}
        for values in self.queryables.values():
            everything.update(values)
        everything.update(self.context.md_core_model["mappings"])
        self.queryables["_all"] = everything


pycsw_repository.Repository = CatalogueRepository  # pycsw's CSW and Records API build this


def write_database(path: Path, records: Sequence[LayerRecord], base_url: str) -> None:
    """A new SQLite catalogue at ``path`` with the records of the public layers."""
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    url = f"sqlite:///{tmp}"
    engine = create_engine(url)
    _table(MetaData()).create(engine)
    engine.dispose()
    repo = CatalogueRepository(url, StaticContext())
    try:
        for record in public_records(records):
            xml = iso19139(record, base_url).encode("utf-8")
            for row in pycsw_metadata.parse_record(repo.context, xml, repo):
                repo.session.add(row)
        repo.session.commit()
    finally:
        repo.session.close()
        repo.engine.dispose()
        pycsw_repository.Repository._engines.pop(url, None)
    os.replace(tmp, path)


def catalogue_key(records: Sequence[LayerRecord], base_url: str) -> str:
    """What the catalogue depends on: public layer versions and the public address."""
    digest = hashlib.blake2b(digest_size=10)
    for record in sorted(public_records(records), key=lambda r: r.id):
        digest.update(f"{record.id}@{record.version};".encode())
    digest.update(base_url.encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Catalogue:
    """One built catalogue: its key, the SQLite URL and the pycsw configuration."""

    key: str
    database: str
    base_url: str

    def config(self) -> dict[str, Any]:
        """pycsw's configuration (server, service metadata, repository)."""
        c = CONTACT
        return {
            "server": {
                "url": f"{self.base_url}/csw",
                "mimetype": "application/xml; charset=UTF-8",
                "encoding": "UTF-8",
                "language": "de-DE",
                "maxrecords": 50,
                "pretty_print": True,
                "ogc_schemas_base": "http://schemas.opengis.net",
                "domainquerytype": "list",
                "timeout": 30,
            },
            # pycsw answers every bad request with an exception report and logs it as ERROR
            # (and German as "unknown language" — it only knows en/fr/el): not our errors.
            "logging": {"level": "CRITICAL"},
            "manager": {"transactions": False, "allowed_ips": []},
            "metadata": {
                "identification": {
                    "title": f"{SERVICE_TITLE} – Metadatenkatalog",
                    "description": SERVICE_ABSTRACT,
                    "keywords": list(SERVICE_KEYWORDS),
                    "keywords_type": "theme",
                    "fees": "keine",
                    "accessconstraints": "keine",
                    "terms_of_service": "https://www.govdata.de/dl-de/by-2-0",
                    "url": self.base_url,
                },
                "license": {"name": "dl-de/by-2-0", "url": "https://www.govdata.de/dl-de/by-2-0"},
                "provider": {"name": c.organisation, "url": self.base_url},
                "contact": {
                    "name": c.unit,
                    "position": c.position,
                    "address": c.street,
                    "city": c.city,
                    "stateorprovince": c.region,
                    "postalcode": c.postcode,
                    "country": c.country,
                    "phone": c.phone,
                    "fax": c.phone,
                    "email": c.email,
                    "url": self.base_url,
                    "hours": "Mo–Fr 08:00–16:00",
                    "instructions": "Per E-Mail",
                    "role": "pointOfContact",
                },
                "inspire": {"enabled": False},
            },
            "repository": {"database": self.database, "table": TABLE, "facets": ["type"]},
            "profiles": ["apiso"],
            "federatedcatalogues": [],
        }


class CatalogueStore:
    """The current catalogue per process; rebuilt when the key changes."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._current: Catalogue | None = None

    def current(self, records: Sequence[LayerRecord], base_url: str) -> Catalogue:
        """The catalogue for these layers and this address (built once per change)."""
        key = catalogue_key(records, base_url)
        if self._current is not None and self._current.key == key:
            return self._current
        with self._lock:
            if self._current is None or self._current.key != key:
                self.directory.mkdir(parents=True, exist_ok=True)
                path = self.directory / f"{key}.sqlite"
                if not path.exists():
                    write_database(path, records, base_url)
                self._current = Catalogue(key, f"sqlite:///{path}", base_url)
            return self._current
