"""Texts of the citizen service pages (/dienste, /holzverkauf, „Mein Ort") in German and English.

Both languages have the same keys (a test checks it). The map pages have their own texts in
``buergergis.maps.i18n``; the service role titles in English live here as well.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from buergergis.services.config import TITLES

Lang = Literal["de", "en"]
_AT_MOST = re.compile(r"^Höchstens (\d+) Zeichen\.$")

TITLES_EN: Mapping[str, str] = MappingProxyType(
    {
        "buergeramt": "Citizens' offices and service points",
        "holzverkauf": "Firewood sale",
        "kitas": "Day-care centres",
        "ferienaktionen": "Holiday activities",
        "stellenangebote": "Job vacancies",
        "fahrzeugverkauf": "Vehicle sale",
        "ortsteile": "Districts",
        "adressen": "Addresses",
    }
)

_DE: dict[str, str] = {
    "site": "BürgerGIS Hameln",
    "skip": "Zum Inhalt springen",
    "nav": "Bürgerdienste",
    "nav_services": "Dienste",
    "nav_map": "Stadtkarte",
    "my_place": "Mein Ort",
    "lang_switch": "English",
    "lang_switch_label": "Switch to English",
    "footer": "Beispieldaten der Stadt Hameln – keine amtliche Auskunft.",
    "services_page": "Bürgerdienste",
    "services_heading": "Bürgerdienste der Stadt Hameln",
    "buergeramt_hint": "wer hat jetzt geöffnet?",
    "holz_hint": "freie Brennholzlose anfragen",
    "my_place_hint": "was gilt an meiner Adresse?",
    "all": "alle",
    "filter": "Filtern",
    "show": "Anzeigen",
    "show_past": "auch vergangene anzeigen",
    "entries": "{n} Einträge",
    "past_hidden": " (vergangene ausgeblendet)",
    "no_entries": "Keine Einträge.",
    "feed_entries": "Neue und geänderte Einträge als Atom-Feed",
    "table_all": "Tabelle aller Einträge",
    "lots": "{n} Lose",
    "feed_lots": "Neue und geänderte Lose als Atom-Feed",
    "lot_map": "Karte der Lose",
    "lots_caption": "Brennholzlose",
    "lot_no": "Los-Nr.",
    "request": "Anfrage",
    "request_lot": "Kaufanfrage",
    "for_lot": " für Los {fid}",
    "no_lots": "Keine Lose mit diesen Merkmalen.",
    "from_where": "Von welchem Ort aus?",
    "locate": "Mein Standort",
    "locate_busy": "Standort wird bestimmt …",
    "locate_error": "Ihr Standort konnte nicht bestimmt werden. Bitte eine Adresse eingeben "
    "oder in die Karte klicken.",
    "address": "Adresse",
    "address_search": "Suchen",
    "or_map": "… oder in die Karte klicken:",
    "pick_map": "Karte: Ort wählen",
    "nearest_open": "Nächstes geöffnetes Büro",
    "none_open": "Zurzeit hat kein Büro geöffnet.",
    "opens_next": "Als nächstes öffnet {name}: {detail}.",
    "from_point": "Ausgangspunkt: {label}",
    "chosen_point": "gewählter Punkt",
    "feed_changes": "Änderungen als Atom-Feed",
    "offices_caption": "Bürgerbüros und Servicestellen",
    "by_distance": ", nach Entfernung sortiert",
    "name": "Name",
    "now": "Jetzt",
    "hours": "Öffnungszeiten",
    "distance": "Entfernung",
    "appointment": "Termin",
    "book": "Termin vereinbaren",
    "phone": "Telefon",
    "hours_unreadable": "Öffnungszeiten nicht lesbar – bitte telefonisch erfragen.",
    "hours_note": "Öffnungszeiten mit den gesetzlichen Feiertagen in Niedersachsen, Zeitzone "
    "Europe/Berlin.",
    "request_title": "Kaufanfrage Los {fid}",
    "request_heading": "Kaufanfrage für Los {fid}",
    "check_input": "Bitte prüfen Sie Ihre Angaben:",
    "privacy": "Ihre Angaben werden nur zur Bearbeitung dieser Anfrage gespeichert. Es wird "
    "kein Cookie gesetzt.",
    "send": "Anfrage senden",
    "back_lots": "Zurück zur Übersicht der Lose",
    "done_title": "Anfrage eingegangen",
    "done_heading": "Vielen Dank – Ihre Anfrage ist eingegangen",
    "reference": "Ihre Vorgangsnummer:",
    "lot": "Los",
    "received": "Eingegangen",
    "state": "Stand",
    "as_of": "Stand",
    "in_progress": "in Bearbeitung",
    "handled": "bearbeitet",
    "done_text": "Der städtische Forstbetrieb meldet sich bei Ihnen. Bitte nennen Sie bei "
    "Rückfragen die Vorgangsnummer. Eine Anfrage ist noch keine Reservierung.",
    "clock": "%d.%m.%Y, %H:%M Uhr",
    # Mein Ort
    "place_heading": "Mein Ort – was gilt hier?",
    "place_lead": "Ortsteil, nächstes geöffnetes Bürgerbüro, Kitas und Brennholzlose in der "
    "Nähe und alle Gebiete, in denen der Ort liegt.",
    "place_address": "Adresse suchen",
    "place_show": "Auskunft anzeigen",
    "coords": "Koordinaten",
    "coords_legend": "… oder Koordinaten (Dezimalgrad, WGS84)",
    "lat": "Breite",
    "lon": "Länge",
    "searched": "Gesucht: „{q}“. Andere Treffer:",
    "chosen_place": "Gewählter Ort",
    "district": "Ortsteil",
    "outside": "außerhalb der Ortsteile",
    "office": "Bürgerbüro",
    "no_office_open": "Zurzeit hat kein Bürgerbüro geöffnet.",
    "nearest_and_open": "Am nächsten und jetzt geöffnet",
    "open_now": "Jetzt geöffnet",
    "nearest": "Am nächsten",
    "kitas_near": "Kitas in der Nähe",
    "kita_register": "Kita-Platz vormerken",
    "no_kitas": "Keine Kitas gefunden.",
    "lots_near": "Freie Brennholzlose in der Nähe",
    "lot_line": "Los {fid}",
    "ask": "anfragen",
    "no_lots_near": "Keine freien Lose im Umkreis von 10 km.",
    "lies_in": "Dieser Ort liegt in",
    "no_area": "Keinem der veröffentlichten Gebiete.",
    "extern_heading": "Auskünfte anderer Behörden",
    "extern_source": "Quelle",
    "extern_unavailable": "Dienst nicht erreichbar",
    "print": "Drucken",
    "normal_view": "Zur normalen Ansicht",
    "print_view": "Druckfassung",
    "pdf": "PDF herunterladen",
    "as_json": "Als JSON",
    "other_place": "Anderen Ort wählen",
    "on_map": "Auf der Karte",
    "note": "Keine amtliche Auskunft. Alle Angaben ohne Gewähr.",
    "label_name": "Name",
    "label_kontakt": "E-Mail oder Telefon",
    "label_nachricht": "Nachricht (freiwillig)",
    "label_einwilligung": "Ich bin einverstanden, dass die Stadt Hameln meine Angaben zur "
    "Bearbeitung dieser Anfrage speichert.",
}

_EN: dict[str, str] = {
    "site": "BürgerGIS Hameln",
    "skip": "Skip to the content",
    "nav": "City services",
    "nav_services": "Services",
    "nav_map": "City map",
    "my_place": "My place",
    "lang_switch": "Deutsch",
    "lang_switch_label": "Auf Deutsch anzeigen",
    "footer": "Sample data of the city of Hameln – not an official statement.",
    "services_page": "City services",
    "services_heading": "City services of Hameln",
    "buergeramt_hint": "which office is open now?",
    "holz_hint": "request an available firewood lot",
    "my_place_hint": "what applies at my address?",
    "all": "all",
    "filter": "Filter",
    "show": "Show",
    "show_past": "also show past entries",
    "entries": "{n} entries",
    "past_hidden": " (past ones hidden)",
    "no_entries": "No entries.",
    "feed_entries": "New and changed entries as an Atom feed",
    "table_all": "Table of all entries",
    "lots": "{n} lots",
    "feed_lots": "New and changed lots as an Atom feed",
    "lot_map": "Map of the lots",
    "lots_caption": "Firewood lots",
    "lot_no": "Lot no.",
    "request": "Request",
    "request_lot": "Request to buy",
    "for_lot": " lot {fid}",
    "no_lots": "No lots match this selection.",
    "from_where": "From which place?",
    "locate": "My location",
    "locate_busy": "Finding your location …",
    "locate_error": "Your location could not be determined. Please enter an address or click "
    "on the map.",
    "address": "Address",
    "address_search": "Search",
    "or_map": "… or click on the map:",
    "pick_map": "Map: choose a place",
    "nearest_open": "Nearest open office",
    "none_open": "No office is open right now.",
    "opens_next": "Opening next: {name}, {detail}.",
    "from_point": "Starting point: {label}",
    "chosen_point": "chosen point",
    "feed_changes": "Changes as an Atom feed",
    "offices_caption": "Citizens' offices and service points",
    "by_distance": ", sorted by distance",
    "name": "Name",
    "now": "Now",
    "hours": "Opening hours",
    "distance": "Distance",
    "appointment": "Appointment",
    "book": "Book an appointment",
    "phone": "Phone",
    "hours_unreadable": "Opening hours cannot be read – please ask by phone.",
    "hours_note": "Opening hours take the public holidays of Lower Saxony into account, time "
    "zone Europe/Berlin.",
    "request_title": "Request to buy lot {fid}",
    "request_heading": "Request to buy lot {fid}",
    "check_input": "Please check your details:",
    "privacy": "Your details are stored only to handle this request. No cookie is set.",
    "send": "Send request",
    "back_lots": "Back to the list of lots",
    "done_title": "Request received",
    "done_heading": "Thank you – your request has been received",
    "reference": "Your reference number:",
    "lot": "Lot",
    "received": "Received",
    "state": "Status",
    "as_of": "As of",
    "in_progress": "being processed",
    "handled": "processed",
    "done_text": "The city's forestry office will contact you. Please quote the reference "
    "number if you have questions. A request is not yet a reservation.",
    "clock": "%Y-%m-%d, %H:%M",
    "place_heading": "My place – what applies here?",
    "place_lead": "District, nearest open citizens' office, day-care centres and firewood lots "
    "nearby, and all areas the place lies in.",
    "place_address": "Search for an address",
    "place_show": "Show information",
    "coords": "Coordinates",
    "coords_legend": "… or coordinates (decimal degrees, WGS84)",
    "lat": "Latitude",
    "lon": "Longitude",
    "searched": "Searched for “{q}”. Other matches:",
    "chosen_place": "Chosen place",
    "district": "District",
    "outside": "outside the districts",
    "office": "Citizens' office",
    "no_office_open": "No citizens' office is open right now.",
    "nearest_and_open": "Nearest and open now",
    "open_now": "Open now",
    "nearest": "Nearest",
    "kitas_near": "Day-care centres nearby",
    "kita_register": "Register for a place",
    "no_kitas": "No day-care centres found.",
    "lots_near": "Available firewood lots nearby",
    "lot_line": "Lot {fid}",
    "ask": "request",
    "no_lots_near": "No available lots within 10 km.",
    "lies_in": "This place lies in",
    "no_area": "None of the published areas.",
    "extern_heading": "Other authorities' information",
    "extern_source": "Source",
    "extern_unavailable": "Service not reachable",
    "print": "Print",
    "normal_view": "Back to the normal view",
    "print_view": "Printable version",
    "pdf": "Download PDF",
    "as_json": "As JSON",
    "other_place": "Choose another place",
    "on_map": "On the map",
    "note": "Not an official statement. All information without guarantee.",
    "label_name": "Name",
    "label_kontakt": "E-mail or phone",
    "label_nachricht": "Message (optional)",
    "label_einwilligung": "I agree that the city of Hameln stores my details to handle this "
    "request.",
}

#: English versions of the form's German validation messages (``services.holz``).
FORM_ERRORS_EN: Mapping[str, str] = MappingProxyType(
    {
        "Bitte ein Los wählen.": "Please choose a lot.",
        "Bitte geben Sie Ihren Namen an.": "Please enter your name.",
        "Der Name muss 2 bis 200 Zeichen lang sein.": "The name must be 2 to 200 characters long.",
        "Bitte geben Sie an, wie wir Sie erreichen.": "Please tell us how to reach you.",
        "Höchstens 2000 Zeichen.": "At most 2000 characters.",
        "Ohne Ihr Einverständnis können wir die Anfrage nicht bearbeiten.": "Without your "
        "consent we cannot handle the request.",
        "Bitte eine E-Mail-Adresse (name@example.de) oder eine Telefonnummer (mindestens 6 "
        "Ziffern) angeben.": "Please enter an e-mail address (name@example.com) or a phone "
        "number (at least 6 digits).",
    }
)

_TEXTS: dict[str, dict[str, str]] = {"de": _DE, "en": _EN}


def texts(lang: Lang) -> dict[str, str]:
    """All service page texts of one language."""
    return _TEXTS[lang]


#: English versions of the German texts of the request pages (/anfrage/…): fixed page texts,
#: the form's field labels and messages (``services.request_form``), request states and the
#: request titles of the city's layer files. Unknown texts stay German.
UI_EN: Mapping[str, str] = MappingProxyType(
    {
        "Angebot": "Offer",
        "Alle Plätze sind vergeben. Sie können sich auf die Warteliste setzen lassen – wir "
        "melden uns, sobald ein Platz frei wird.": "All places are taken. You can join the "
        "waiting list – we will contact you as soon as a place becomes free.",
        "Freie Plätze": "Places left",
        "Link öffnen": "Open link",
        "Ihre Angaben stehen noch im Formular.": "Your details are still in the form.",
        "Bitte prüfen Sie Ihre Angaben:": "Please check your details:",
        "Höchstens {n} Zeichen.": "At most {n} characters.",
        "Bewerbung als PDF (eine Datei, höchstens {n} MB)": "Application as a PDF (one file, "
        "at most {n} MB)",
        "Wenn das Formular zurückkommt, wählen Sie die Datei bitte erneut – Browser behalten "
        "Dateien aus Sicherheitsgründen nicht.": "If the form comes back, please choose the file "
        "again – browsers do not keep files for security reasons.",
        "Ihre Angaben werden nur zur Bearbeitung dieser Anfrage gespeichert und nach {n} Tagen "
        "gelöscht": "Your details are stored only to handle this request and deleted after {n} "
        "days",
        " (gerechnet ab dem Ende der Bewerbungsfrist)": " (counted from the application deadline)",
        " (gerechnet ab dem Abschluss)": " (counted from its completion)",
        ". Es wird kein Cookie gesetzt.": ". No cookie is set.",
        "Auf die Warteliste": "Join the waiting list",
        "{title} senden": "Send: {title}",
        "Zurück zur Übersicht": "Back to the overview",
        "Stand einer Anfrage abfragen": "Check the status of a request",
        "Stand einer Anfrage": "Status of a request",
        "Vielen Dank – Ihre Anfrage ist eingegangen": "Thank you – your request has been received",
        "Alle Plätze waren vergeben: Sie stehen auf der Warteliste.": "All places were taken: "
        "you are on the waiting list.",
        "Vorgangsnummer": "Reference number",
        "Kennwort für die Statusabfrage": "Password for the status check",
        "Bitte notieren Sie beides. Damit sehen Sie, wie weit Ihre Anfrage ist – ohne Konto.": (
            "Please note both. With them you can see how far your request has got – no account "
            "needed."
        ),
        "Wir haben Ihnen beides auch per E-Mail geschickt.": "We have also sent you both by "
        "e-mail.",
        "Dienst": "Service",
        "Eingegangen": "Received",
        "Stand": "Status",
        "Wird gelöscht am": "Will be deleted on",
        "Geben Sie die Vorgangsnummer und das Kennwort aus Ihrer Bestätigung ein.": "Enter the "
        "reference number and the password from your confirmation.",
        "Kennwort": "Password",
        "Stand abfragen": "Check status",
        "Anfrage": "Request",
        # form fields (services.request_form)
        "Ihr Name": "Your name",
        "E-Mail oder Telefon": "E-mail or phone",
        "Anliegen": "Concern",
        "Name und Alter des Kindes": "Name and age of the child",
        "Nachricht (freiwillig)": "Message (optional)",
        "Ich bin einverstanden, dass die Stadt Hameln meine Angaben zur Bearbeitung dieser "
        "Anfrage speichert.": "I agree that the city of Hameln stores my details to handle this "
        "request.",
        "Bitte geben Sie Name und Alter des Kindes an.": "Please enter the child's name and age.",
        # request states (services.anfragen.STATUS_TEXT)
        "eingegangen, noch nicht bearbeitet": "received, not yet processed",
        "bearbeitet": "processed",
        "auf der Warteliste – wir melden uns, sobald ein Platz frei wird": "on the waiting list – "
        "we will contact you as soon as a place becomes free",
        # request titles and topics of the city's layer files
        "Kaufanfrage": "Request to buy",
        "Kaufanfrage oder Besichtigung": "Request to buy or to view",
        "Besichtigungstermin": "Viewing appointment",
        "Anmeldung": "Registration",
        "Vormerkung für einen Kita-Platz": "Register for a day-care place",
        "Online bewerben": "Apply online",
        "Wir melden uns innerhalb von drei Werktagen. Das Los bleibt bis dahin frei.": "We will "
        "contact you within three working days. The lot stays available until then.",
        "Sind alle Plätze vergeben, kommen Sie auf die Warteliste und wir melden uns, sobald ein "
        "Platz frei wird.": "If all places are taken, you join the waiting list and we will "
        "contact you as soon as a place becomes free.",
        "Bitte laden Sie Ihre Bewerbung als eine PDF-Datei hoch (Anschreiben, Lebenslauf, "
        "Zeugnisse).": "Please upload your application as one PDF file (cover letter, CV, "
        "certificates).",
        "online beantragen": "apply online",
        "Online beantragen": "Apply online",
        "Zur Anmeldung": "Register",
        "Platz vormerken (Kita-Portal)": "Register for a place (day-care portal)",
        "Ausschreibung lesen": "Read the job advertisement",
    }
)


def tr(text: str, lang: Lang, **values: object) -> str:
    """A German UI text in ``lang`` (English from :data:`UI_EN`, German unchanged); ``values``
    fill ``{name}`` placeholders of both."""
    chosen = UI_EN.get(text, FORM_ERRORS_EN.get(text, text)) if lang == "en" else text
    if lang == "en" and chosen == text and (most := _AT_MOST.match(text)):
        chosen = f"At most {most.group(1)} characters."
    return chosen.format(**values) if values else chosen


def form_error(message: str, lang: Lang) -> str:
    """A validation message of the Kaufanfrage form in ``lang``."""
    return FORM_ERRORS_EN.get(message, message) if lang == "en" else message


def titles(lang: Lang) -> Mapping[str, str]:
    """Role titles in ``lang``."""
    return TITLES if lang == "de" else TITLES_EN
