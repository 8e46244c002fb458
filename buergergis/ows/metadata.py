"""What the OGC services say about themselves: German service texts, contact, licences."""

from __future__ import annotations

from dataclasses import dataclass

#: Coordinate reference systems of the WMS (storage CRS first).
WMS_CRS = ("EPSG:25832", "EPSG:4326", "EPSG:3857")

#: Licence names of layer definitions → readable German name and URL.
LICENCES = {
    "dl-de/by-2-0": (
        "Datenlizenz Deutschland – Namensnennung – Version 2.0",
        "https://www.govdata.de/dl-de/by-2-0",
    ),
    "dl-de/zero-2-0": (
        "Datenlizenz Deutschland – Zero – Version 2.0",
        "https://www.govdata.de/dl-de/zero-2-0",
    ),
    "CC-BY-4.0": (
        "Creative Commons Namensnennung 4.0 International",
        "https://creativecommons.org/licenses/by/4.0/",
    ),
    "CC0-1.0": (
        "Creative Commons Zero 1.0 Universell",
        "https://creativecommons.org/publicdomain/zero/1.0/",
    ),
}


@dataclass(frozen=True)
class Contact:
    """The point of contact named in capabilities and metadata records."""

    organisation: str = "Stadt Hameln"
    unit: str = "Geoinformation und Vermessung"
    position: str = "Geodatenstelle"
    street: str = "Rathausplatz 1"
    postcode: str = "31785"
    city: str = "Hameln"
    region: str = "Niedersachsen"
    country: str = "Deutschland"
    phone: str = "+49 5151 202-0"
    email: str = "geodaten@hameln.de"


CONTACT = Contact()
SERVICE_TITLE = "BürgerGIS Hameln"
SERVICE_ABSTRACT = (
    "Öffentliche Geodaten der Stadt Hameln: Bürgerdienste, Kitas, Holzverkauf, "
    "Flurstücke, Ortsteile und weitere Ebenen des BürgerGIS."
)
SERVICE_KEYWORDS = ("Hameln", "BürgerGIS", "Geodaten", "Stadtplan", "opendata")


def licence_text(licence: str, attribution: str) -> str:
    """A German sentence naming the licence and the attribution of a layer."""
    name, url = LICENCES.get(licence, (licence, ""))
    text = f"Lizenz: {name}"
    if url:
        text += f" ({url})"
    return f"{text}. Quellenvermerk: {attribution}"


def licence_name(licence: str) -> str:
    """The readable German name of a licence (the licence itself when unknown)."""
    return LICENCES.get(licence, (licence, ""))[0]


def licence_url(licence: str) -> str | None:
    """The URL of a licence (or the licence itself when it is a URL)."""
    if licence.startswith(("http://", "https://")):
        return licence
    return LICENCES.get(licence, ("", ""))[1] or None
