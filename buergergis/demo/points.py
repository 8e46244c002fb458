"""Point demo layers (EPSG:4326): Bürgerbüros, Kitas, holiday activities, vehicles, jobs."""

from __future__ import annotations

import datetime as dt
import re

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from buergergis.demo.geography import HINWEIS, rng_for
from buergergis.demo.places import Place, place
from buergergis.demo.texts import BUERGERAEMTER, FAHRZEUGE, FERIENAKTIONEN, KITAS, STELLEN

WGS84 = "EPSG:4326"
BASE_URL = "https://www.hameln.de/de"
#: Places of the holiday activities (cycled; a small one so that a waiting list is shown).
PLACES = (12, 20, 2, 15, 8, 25)
#: Online services of the Rathaus by office key (birth certificate: apply and pay online).
ONLINE_SERVICES = {
    "standesamt": f"{BASE_URL}/rathaus/standesamt/geburtsurkunde-online/",
}


def slug(text: str) -> str:
    """URL slug of a German name ('Kita Sünteltal' → 'kita-suenteltal')."""
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
    return re.sub(r"[^a-z0-9]+", "-", text.lower().translate(table)).strip("-")


def _frame(rows: list[dict[str, object]], places: list[Place]) -> gpd.GeoDataFrame:
    points = [Point(*p.lonlat) for p in places]
    frame = gpd.GeoDataFrame(rows, geometry=points, crs=WGS84)
    frame["ortsteil"] = [p.ortsteil for p in places]
    frame["hinweis"] = HINWEIS
    return frame


def buergeramt() -> gpd.GeoDataFrame:
    """Bürgerbüros and service points of the city administration."""
    rows: list[dict[str, object]] = []
    places: list[Place] = []
    for name, _settlement, _street, leistungen, hours, key, extension in BUERGERAEMTER:
        p = place(name)
        places.append(p)
        rows.append(
            {
                "kennung": key,
                "name": name,
                "adresse": p.adresse,
                "leistungen": leistungen,
                "oeffnungszeiten": hours,
                "termin_url": f"{BASE_URL}/rathaus/buergerservice/termin/?standort={key}",
                "online_url": ONLINE_SERVICES.get(key),
                "telefon": f"05151 202-{extension}",
            }
        )
    return _frame(rows, places)


def kitas() -> gpd.GeoDataFrame:
    """About 30 Kitas with provider, age groups and places."""
    rows: list[dict[str, object]] = []
    places: list[Place] = []
    for name, traeger, _settlement, groups, plaetze in KITAS:
        p = place(name)
        places.append(p)
        rows.append(
            {
                "kennung": slug(name),
                "name": name,
                "traeger": traeger,
                "altersgruppen": ", ".join(groups),
                "plaetze": plaetze,
                "adresse": p.adresse,
                "vormerkung_url": f"{BASE_URL}/familie/kita-vormerkung/?kita={slug(name)}",
            }
        )
    return _frame(rows, places)


def ferienaktionen() -> gpd.GeoDataFrame:
    """Holiday activities for children between March 2026 and August 2027."""
    rows: list[dict[str, object]] = []
    places: list[Place] = []
    for i, (titel, veranstalter, text, venue, start, end, age_from, age_to, cost) in enumerate(
        FERIENAKTIONEN, start=1
    ):
        p = place(venue)
        places.append(p)
        rows.append(
            {
                "aktion_nr": f"FA-{i:02d}",
                "titel": titel,
                "veranstalter": veranstalter,
                "beschreibung": text,
                "beginn": dt.date.fromisoformat(start),
                "ende": dt.date.fromisoformat(end),
                "alter_von": age_from,
                "alter_bis": age_to,
                "kosten_eur": cost,
                "plaetze": PLACES[i % len(PLACES)],
                "ort": f"{p.name}, {p.adresse}",
                "anmeldung_url": f"{BASE_URL}/familie/ferienpass/?angebot={start[:4]}-{slug(titel)}",
            }
        )
    return _frame(rows, places)


def fahrzeugverkauf() -> gpd.GeoDataFrame:
    """Used municipal vehicles offered for sale at the Betriebshof (parking bays a few metres apart)."""
    depot = place("Betriebshof der Stadt Hameln")
    rng = rng_for("fahrzeugverkauf")
    rows: list[dict[str, object]] = []
    places: list[Place] = []
    for i, (name, typ, year, km, price, status, text) in enumerate(FAHRZEUGE, start=1):
        dx, dy = float(rng.uniform(-35, 35)), float(rng.uniform(-35, 35))
        bay = Place(
            depot.name,
            depot.settlement,
            Point(depot.point.x + dx, depot.point.y + dy),
            depot.adresse,
        )
        places.append(bay)
        rows.append(
            {
                "angebot_nr": f"FZ-2026-{i:02d}",
                "fahrzeug": name,
                "typ": typ,
                "baujahr": year,
                "km_stand": km,
                "preis_eur": price,
                "status": status,
                "beschreibung": text,
                "standort": f"{depot.name}, {depot.adresse}",
                "kontakt": "Betriebshof der Stadt Hameln, Tel. 05151 202-1750, fahrzeugverkauf@hameln.de",
            }
        )
    return _frame(rows, places)


def stellenangebote() -> pd.DataFrame:
    """Job offers of the city administration as a table with lon/lat columns."""
    rows = []
    for nr, titel, ort, bereich, grade, deadline, fixed in STELLEN:
        p = place(ort)
        lon, lat = p.lonlat
        rows.append(
            {
                "stellen_nr": nr,
                "titel": titel,
                "arbeitsort": f"{p.name}, {p.adresse}",
                "bereich": bereich,
                "entgeltgruppe": grade,
                "bewerbungsfrist": deadline,
                "befristet": "true" if fixed else "false",
                "url": f"{BASE_URL}/rathaus/karriere/stellenangebote/{nr}/",
                "ortsteil": p.ortsteil,
                "hinweis": HINWEIS,
                "lon": lon,
                "lat": lat,
            }
        )
    return pd.DataFrame(rows)
