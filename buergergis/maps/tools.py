"""Texts of the map tools of the city map (issue 16): measuring and printing, German and English.

The browser code (``static/js/measure.js``, ``static/js/print.js``) gets them through the
``MapTools`` element; the PDF of ``/druck.pdf`` uses :data:`PRINT_TEXTS`.
"""

from __future__ import annotations

from buergergis.values import Lang

TOOL_TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "measure": "Messen",
        "measure_line": "Strecke messen",
        "measure_area": "Fläche messen",
        "measure_help": (
            "Punkte mit Klick oder Tippen setzen. Mit der Tastatur: Pfeiltasten verschieben die "
            "Karte unter dem Fadenkreuz, Eingabetaste setzt einen Punkt, Rücktaste nimmt ihn "
            "zurück, Escape beendet die Messung."
        ),
        "measure_line_started": "Strecke messen: ersten Punkt setzen.",
        "measure_area_started": "Fläche messen: ersten Punkt setzen.",
        "measure_ended": "Messung beendet.",
        "measure_unavailable": "Das Messwerkzeug konnte nicht geladen werden.",
        "point_set": "Punkt {n} gesetzt.",
        "distance_result": "Strecke: {value}",
        "area_result": "Fläche: {value}, Umfang: {perimeter}",
        "print": "Drucken",
        "print_title": "Karte drucken (PDF)",
        "paper": "Papierformat",
        "orientation": "Ausrichtung",
        "landscape": "Querformat",
        "portrait": "Hochformat",
        "print_heading": "Überschrift (freiwillig)",
        "print_hint": "Das PDF zeigt den aktuellen Kartenausschnitt mit den eingeschalteten Ebenen.",
        "print_make": "PDF erstellen",
        "close": "Schließen",
    },
    "en": {
        "measure": "Measure",
        "measure_line": "Measure distance",
        "measure_area": "Measure area",
        "measure_help": (
            "Set points by clicking or tapping. With the keyboard: arrow keys move the map under "
            "the crosshair, Enter sets a point, Backspace removes it, Escape ends measuring."
        ),
        "measure_line_started": "Measure distance: set the first point.",
        "measure_area_started": "Measure area: set the first point.",
        "measure_ended": "Measuring ended.",
        "measure_unavailable": "The measuring tool could not be loaded.",
        "point_set": "Point {n} set.",
        "distance_result": "Distance: {value}",
        "area_result": "Area: {value}, perimeter: {perimeter}",
        "print": "Print",
        "print_title": "Print the map (PDF)",
        "paper": "Paper size",
        "orientation": "Orientation",
        "landscape": "Landscape",
        "portrait": "Portrait",
        "print_heading": "Heading (optional)",
        "print_hint": "The PDF shows the current map view with the layers switched on.",
        "print_make": "Create PDF",
        "close": "Close",
    },
}

PRINT_TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "title": "Stadtplan Hameln",
        "legend": "Legende",
        "scale": "Maßstab ca. 1:{ratio}",
        "date": "Stand: {date}",
        "north": "Norden",
        "demo": "Beispieldaten – keine amtliche Auskunft",
        "sources": "Quellen",
        "no_layers": "Keine Ebene eingeschaltet.",
        "basemap_missing": "Hintergrundkarte nicht erreichbar – ohne Hintergrund gedruckt.",
        "made_with": "Erstellt mit BürgerGIS",
    },
    "en": {
        "title": "City map of Hameln",
        "legend": "Legend",
        "scale": "Scale approx. 1:{ratio}",
        "date": "Date: {date}",
        "north": "North",
        "demo": "Sample data – not official information",
        "sources": "Sources",
        "no_layers": "No layer switched on.",
        "basemap_missing": "Background map unreachable – printed without background.",
        "made_with": "Made with BürgerGIS",
    },
}


def tool_texts(lang: Lang) -> dict[str, str]:
    """Texts of the measure and print controls."""
    return TOOL_TEXTS[lang]
