"""Hand-written content of the demo point layers (names, providers, descriptions).

All entries are invented examples (Beispieldaten); names of real institutions of Hameln are
used only to make the demo plausible.
"""

from __future__ import annotations

# fmt: off

#: Bürgerbüros: name, settlement, street, services, opening hours (OSM syntax), slug, phone extension.
BUERGERAEMTER: tuple[tuple[str, str, str | None, str, str, str, str], ...] = (
    ("Bürgerbüro im Rathaus", "Altstadt", None, "Personalausweis, Reisepass, Meldebescheinigung, Wohnsitzanmeldung, Führungszeugnis, Beglaubigungen, Fundsachen, Bewohnerparkausweis", "Mo-We 08:00-16:00; Th 08:00-18:00; Fr 08:00-12:00; Sa 09:00-12:00; PH off", "rathaus", "0"),
    ("Servicebüro Afferde", "Afferde", "Kirchstraße", "Personalausweis, Reisepass, Meldebescheinigung, Wohnsitzanmeldung, Beglaubigungen", "Tu 09:00-12:00; Th 14:00-18:00; PH off", "afferde", "3310"),
    ("Bürgerbüro Klein Berkel", "Klein Berkel", "Pyrmonter Straße", "Personalausweis, Reisepass, Meldebescheinigung, Wohnsitzanmeldung, Führungszeugnis", "Mo,We 09:00-12:00; Th 14:00-17:30; PH off", "klein-berkel", "3320"),
    ("Servicestelle Tündern", "Tündern", "Tünderner Straße", "Meldebescheinigung, Beglaubigungen, Abholung von Ausweisdokumenten", "We 09:00-12:00; PH off", "tuendern", "3330"),
    ("Bürgerbüro Sünteltal", "Unsen", "Unsener Straße", "Personalausweis, Reisepass, Meldebescheinigung, Fundsachen", "Tu 14:00-17:00; Fr 09:00-12:00; PH off", "suenteltal", "3340"),
    ("Standesamt Hameln", "Altstadt", "Rathausplatz", "Geburtsurkunde (online beantragen und bezahlen), Sterbeurkunde, Eheschließung, Namenserklärung, Vaterschaftsanerkennung", "Mo-Th 08:00-15:30; Fr 08:00-12:00; PH off", "standesamt", "1340"),
)

# fmt: on

KRIPPE = "Krippe (1–3 Jahre)"
KIGA = "Kindergarten (3–6 Jahre)"
HORT = "Hort (6–10 Jahre)"

# fmt: off

#: Kitas: name, provider, settlement, age groups, places.
KITAS: tuple[tuple[str, str, str, tuple[str, ...], int], ...] = (
    ("Städtische Kita Rattenfänger", "Stadt Hameln", "Altstadt", (KRIPPE, KIGA), 95),
    ("Ev.-luth. Kita St. Nicolai", "Ev.-luth. Kirchengemeinde St. Nicolai", "Altstadt", (KIGA,), 50),
    ("Kath. Kita St. Augustinus", "Kath. Kirchengemeinde St. Augustinus", "Klütviertel", (KRIPPE, KIGA), 65),
    ("AWO Kita Klütviertel", "AWO Kreisverband Hameln-Pyrmont", "Klütviertel", (KRIPPE, KIGA, HORT), 110),
    ("Städtische Kita Weserbogen", "Stadt Hameln", "Nordstadt", (KRIPPE, KIGA), 80),
    ("DRK Kita Sonnenschein", "DRK-Kreisverband Hameln-Pyrmont", "Nordstadt", (KRIPPE, KIGA), 75),
    ("Ev.-luth. Kita Martin Luther", "Ev.-luth. Kirchengemeinde Martin Luther", "Nordstadt", (KIGA, HORT), 70),
    ("Städtische Kita Kunterbunt", "Stadt Hameln", "Südstadt", (KRIPPE, KIGA), 90),
    ("Lebenshilfe Kita Regenbogen", "Lebenshilfe Hameln e. V.", "Südstadt", (KRIPPE, KIGA), 60),
    ("Kita Wurzelwerk", "Elterninitiative Wurzelwerk e. V.", "Südstadt", (KRIPPE,), 30),
    ("Städtische Kita Basberg", "Stadt Hameln", "Hameln-Ost", (KRIPPE, KIGA), 85),
    ("Ev.-luth. Kita Marktkirche", "Ev.-luth. Kirchengemeinde St. Nicolai", "Hameln-Ost", (KIGA,), 45),
    ("Städtische Kita Afferde", "Stadt Hameln", "Afferde", (KRIPPE, KIGA), 100),
    ("Ev.-luth. Kita St. Georg Afferde", "Ev.-luth. Kirchengemeinde Afferde", "Afferde", (KRIPPE, KIGA), 65),
    ("DRK Kita Hamelwiese", "DRK-Kreisverband Hameln-Pyrmont", "Afferde", (KIGA, HORT), 70),
    ("Städtische Kita Klein Berkel", "Stadt Hameln", "Klein Berkel", (KRIPPE, KIGA), 90),
    ("AWO Kita Humme-Strolche", "AWO Kreisverband Hameln-Pyrmont", "Klein Berkel", (KRIPPE, KIGA), 60),
    ("Waldkindergarten Klüt", "Waldkindergarten Hameln e. V.", "Klein Berkel", (KIGA,), 20),
    ("Städtische Kita Rohrsen", "Stadt Hameln", "Rohrsen", (KRIPPE, KIGA), 70),
    ("Ev.-luth. Kita Rohrsen", "Ev.-luth. Kirchengemeinde Rohrsen", "Rohrsen", (KIGA,), 40),
    ("Städtische Kita Wangelist", "Stadt Hameln", "Wangelist", (KRIPPE, KIGA), 75),
    ("Städtische Kita Tündern", "Stadt Hameln", "Tündern", (KRIPPE, KIGA), 55),
    ("Ev.-luth. Kita Tündern", "Ev.-luth. Kirchengemeinde Tündern", "Tündern", (KIGA,), 25),
    ("Städtische Kita Hastenbeck", "Stadt Hameln", "Hastenbeck", (KRIPPE, KIGA), 45),
    ("Ev.-luth. Kita Holtensen", "Ev.-luth. Kirchengemeinde Holtensen", "Holtensen", (KRIPPE, KIGA), 40),
    ("Städtische Kita Hilligsfeld", "Stadt Hameln", "Hilligsfeld", (KIGA,), 25),
    ("DRK Kita Halvestorf", "DRK-Kreisverband Hameln-Pyrmont", "Halvestorf", (KRIPPE, KIGA), 35),
    ("Städtische Kita Sünteltal", "Stadt Hameln", "Unsen", (KRIPPE, KIGA), 50),
    ("Ev.-luth. Kita Wehrbergen", "Ev.-luth. Kirchengemeinde Wehrbergen", "Wehrbergen", (KIGA,), 25),
    ("Lebenshilfe Kita Welliehausen", "Lebenshilfe Hameln e. V.", "Welliehausen", (KRIPPE, KIGA), 30),
)

#: Holiday activities: title, organiser, description, venue, start, end, age from, age to, cost.
FERIENAKTIONEN: tuple[tuple[str, str, str, str, str, str, int, int, float], ...] = (
    ("Osterwerkstatt im Museum", "Museum Hameln", "Ostereier färben wie vor 200 Jahren und Stadtgeschichte entdecken.", "Museum Hameln", "2026-03-24", "2026-03-27", 6, 10, 15.0),
    ("Fußball-Ostercamp", "SV Afferde (Beispielverein)", "Vier Tage Training mit lizenzierten Trainerinnen und Trainern.", "Sportplatz Afferde", "2026-03-30", "2026-04-02", 7, 13, 79.0),
    ("Waldforscher am Klüt", "Städtischer Forstbetrieb Hameln", "Spuren lesen, Bäume bestimmen, Waldsofa bauen.", "Forsthof am Klüt", "2026-05-26", "2026-05-29", 8, 12, 20.0),
    ("Rattenfänger-Theaterwerkstatt", "Stadtjugendpflege Hameln", "Wir proben eine eigene Rattenfänger-Szene und führen sie auf.", "Theater Hameln", "2026-07-06", "2026-07-10", 9, 14, 35.0),
    ("Kanu-Tour auf der Weser", "Kanu-Club Hameln e. V. (Beispielverein)", "Paddeln lernen und eine Tagestour nach Hessisch Oldendorf.", "Bootshaus Wehrbergen", "2026-07-13", "2026-07-15", 10, 16, 45.0),
    ("Zirkusprojekt Manege frei", "Stadtjugendpflege Hameln", "Jonglieren, Akrobatik und Zauberei – mit Abschlussvorstellung.", "Sporthalle Südstadt", "2026-07-20", "2026-07-24", 6, 12, 40.0),
    ("Seepferdchen-Schwimmkurs", "Bäder Hameln (Beispiel)", "Schwimmkurs in zehn Einheiten im Hallenbad Einsiedlerbach.", "Hallenbad Einsiedlerbach", "2026-07-06", "2026-07-17", 5, 7, 90.0),
    ("Sommer-Leseclub", "Stadtbücherei Hameln", "Drei Bücher lesen, Stempel sammeln, Urkunde bekommen.", "Stadtbücherei Hameln", "2026-07-02", "2026-08-12", 8, 14, 0.0),
    ("Töpfern mit Ton und Glasur", "Kunstkreis Hameln e. V. (Beispielverein)", "Schalen und Figuren töpfern, glasieren und brennen.", "Atelier des Kunstkreises", "2026-07-27", "2026-07-29", 8, 13, 30.0),
    ("Reiterferien in Holtensen", "Reit- und Fahrverein Holtensen (Beispielverein)", "Pferdepflege, Voltigieren und ein Ausritt.", "Reitanlage Holtensen", "2026-08-03", "2026-08-07", 8, 14, 120.0),
    ("Programmieren mit dem Calliope mini", "VHS Hameln-Pyrmont", "Eigene kleine Spiele und Lichtshows programmieren.", "VHS Hameln-Pyrmont", "2026-08-04", "2026-08-06", 9, 13, 25.0),
    ("Feuerwehr-Erlebnistag", "Freiwillige Feuerwehr Hameln, Ortsfeuerwehr Afferde", "Löschübung, Fahrzeugschau und Erste Hilfe.", "Feuerwehrhaus Afferde", "2026-08-08", "2026-08-08", 6, 12, 0.0),
    ("Herbstferien-Kochwerkstatt", "Stadtjugendpflege Hameln", "Kürbissuppe, Apfelkuchen und Brot aus dem Steinofen.", "Dorfgemeinschaftshaus Klein Berkel", "2026-10-13", "2026-10-16", 8, 12, 18.0),
    ("Drachenbau am Weserdeich", "Heimatverein Tündern (Beispielverein)", "Drachen bauen und am Deich steigen lassen.", "Weserdeich Tündern", "2026-10-19", "2026-10-20", 6, 11, 8.0),
    ("Trickfilm-Medienwerkstatt", "Stadtbücherei Hameln", "Mit Tablets einen eigenen Trickfilm drehen.", "Stadtbücherei Hameln", "2026-10-21", "2026-10-23", 10, 14, 12.0),
    ("Weihnachtsbäckerei im Jugendzentrum", "Stadtjugendpflege Hameln", "Plätzchen backen und Geschenke basteln.", "Jugendzentrum Hameln", "2026-12-28", "2026-12-30", 6, 12, 10.0),
    ("Zeugnisferien-Spielefest", "Stadtjugendpflege Hameln", "Brett-, Karten- und Bewegungsspiele in der Sporthalle.", "Sporthalle Wangelist", "2027-02-01", "2027-02-02", 6, 12, 0.0),
    ("Osterwerkstatt 2027", "Museum Hameln", "Frühlingsfiguren und Osterschmuck aus Papier und Holz.", "Museum Hameln", "2027-03-23", "2027-03-26", 6, 10, 15.0),
    ("Fahrrad-Reparaturkurs", "ADFC Hameln-Pyrmont (Beispiel)", "Schlauch flicken, Bremsen einstellen, Kette ölen.", "Fahrradwerkstatt Rohrsen", "2027-03-30", "2027-03-31", 10, 16, 5.0),
    ("Pfingst-Zeltlager im Sünteltal", "Stadtjugendpflege Hameln", "Zelten, Lagerfeuer und Nachtwanderung.", "Zeltplatz Sünteltal", "2027-05-14", "2027-05-17", 9, 14, 55.0),
    ("Stadtranderholung 2027", "Stadtjugendpflege Hameln", "Drei Wochen Spiel, Sport und Ausflüge mit Mittagessen.", "Freizeitgelände Hameln-Ost", "2027-07-08", "2027-07-30", 6, 12, 150.0),
    ("Weser-Abenteuerwoche", "Kanu-Club Hameln e. V. (Beispielverein)", "Floß bauen, Kanu fahren, Wasserleben erforschen.", "Weserwiese Halvestorf", "2027-07-19", "2027-07-23", 10, 15, 85.0),
    ("Sportabzeichen-Woche", "Stadtsportbund Hameln (Beispiel)", "Laufen, Springen, Werfen – und das Sportabzeichen ablegen.", "Sportplatz Klein Berkel", "2027-07-26", "2027-07-30", 8, 16, 10.0),
    ("Naturerlebnis-Camp Hilligsfeld", "NABU Hameln-Pyrmont (Beispiel)", "Insektenhotel bauen, Wiesen und Hecken erkunden.", "Naturstation Hilligsfeld", "2027-08-02", "2027-08-06", 7, 12, 40.0),
    ("Kunstsommer im Park", "Kunstkreis Hameln e. V. (Beispielverein)", "Malen und Gestalten unter freiem Himmel, Ausstellung zum Schluss.", "Gutspark Hastenbeck", "2027-08-09", "2027-08-13", 7, 14, 35.0),
)

#: Vehicles for sale: name, type, year, mileage, price, status, description.
FAHRZEUGE: tuple[tuple[str, str, int, int, float, str, str], ...] = (
    ("VW Transporter T6 Pritsche", "Transporter", 2017, 148300, 14900.0, "verfügbar", "Doppelkabine, Anhängerkupplung, TÜV bis 06/2027, leichte Gebrauchsspuren."),
    ("Mercedes-Benz Sprinter 316 CDI Kasten", "Transporter", 2015, 211800, 9800.0, "reserviert", "Regaleinbau, Standheizung, Rost an der Schiebetür."),
    ("Multicar M27 Kipper", "Kommunalfahrzeug", 2011, 63400, 18500.0, "verfügbar", "Dreiseitenkipper, Winterdienst-Anbauplatte, Allrad."),
    ("Kubota G23 Aufsitzmäher", "Aufsitzmäher", 2016, 2650, 5200.0, "verfügbar", "Betriebsstunden statt km, Hochentleerung, Messer neu."),
    ("Ford Transit Custom Kombi", "Kleinbus", 2018, 97500, 16400.0, "verkauft", "9 Sitze, Klimaanlage, zuletzt im Einsatz bei der Stadtjugendpflege."),
    ("Renault Kangoo Z.E.", "Pkw (elektrisch)", 2019, 54100, 8900.0, "verfügbar", "Elektro-Kastenwagen, Batteriemiete abgelöst, Ladekabel Typ 2."),
    ("MAN TGM 18.290 Kipper", "Lkw", 2012, 268900, 29500.0, "verfügbar", "Dreiseitenkipper mit Ladekran, Euro 5, Wartung lückenlos."),
    ("Opel Astra Sports Tourer", "Pkw", 2016, 121700, 6700.0, "reserviert", "Dienstwagen, Navigationsgerät, Winterreifen auf Stahlfelgen."),
)

#: Job offers: number, title, workplace (a venue), area, pay grade, deadline, fixed-term.
STELLEN: tuple[tuple[str, str, str, str, str, str, bool], ...] = (
    ("2026-031", "Sachbearbeitung Bürgerbüro (m/w/d)", "Rathaus Hameln", "Bürgerservice", "EG 8 TVöD", "2026-10-30", False),
    ("2026-034", "Erzieherin/Erzieher (m/w/d)", "Städtische Kita Afferde", "Kindertagesstätten", "S 8a TVöD SuE", "2026-11-15", False),
    ("2026-036", "Forstwirtin/Forstwirt (m/w/d)", "Forsthof am Klüt", "Stadtforst", "EG 5 TVöD", "2026-11-20", True),
    ("2026-038", "Straßenwärterin/Straßenwärter (m/w/d)", "Betriebshof der Stadt Hameln", "Betriebshof", "EG 5 TVöD", "2026-11-28", False),
    ("2026-039", "Ingenieurin/Ingenieur Tiefbau (m/w/d)", "Rathaus Hameln", "Planen und Bauen", "EG 11 TVöD", "2026-12-04", False),
    ("2026-040", "GIS-Spezialistin/GIS-Spezialist (m/w/d)", "Rathaus Hameln", "Digitalisierung", "EG 10 TVöD", "2026-12-11", False),
    ("2026-041", "Ausbildung Verwaltungsfachangestellte (m/w/d) 2027", "Rathaus Hameln", "Ausbildung", "TVAöD", "2027-01-15", True),
    ("2026-042", "Bibliothekarin/Bibliothekar (m/w/d)", "Stadtbücherei Hameln", "Kultur", "EG 9a TVöD", "2026-12-18", True),
    ("2026-043", "Museumspädagogin/Museumspädagoge (m/w/d)", "Museum Hameln", "Kultur", "EG 9b TVöD", "2027-01-08", True),
    ("2026-044", "Kfz-Mechatronikerin/Kfz-Mechatroniker (m/w/d)", "Betriebshof der Stadt Hameln", "Betriebshof", "EG 6 TVöD", "2027-01-22", False),
    ("2026-045", "Sozialarbeiterin/Sozialarbeiter Jugendpflege (m/w/d)", "Jugendzentrum Hameln", "Jugend und Soziales", "S 11b TVöD SuE", "2027-01-29", True),
    ("2026-046", "Brandmeisteranwärterin/Brandmeisteranwärter (m/w/d)", "Feuerwache Hameln", "Feuerwehr", "A 7 NBesO", "2027-02-12", False),
)

#: Other venues: name → (settlement, street or None for a random street of the settlement).
VENUES: dict[str, tuple[str, str | None]] = {
    "Museum Hameln": ("Altstadt", "Osterstraße"),
    "Stadtbücherei Hameln": ("Altstadt", None),
    "Theater Hameln": ("Südstadt", None),
    "Sportplatz Afferde": ("Afferde", "Am Sportplatz"),
    "Feuerwehrhaus Afferde": ("Afferde", None),
    "Forsthof am Klüt": ("Klütviertel", "Felsenkellerweg"),
    "Bootshaus Wehrbergen": ("Wehrbergen", "Zur Fähre"),
    "Sporthalle Südstadt": ("Südstadt", None),
    "Hallenbad Einsiedlerbach": ("Südstadt", None),
    "Atelier des Kunstkreises": ("Hameln-Ost", None),
    "Reitanlage Holtensen": ("Holtensen", "Reiterweg"),
    "VHS Hameln-Pyrmont": ("Nordstadt", None),
    "Dorfgemeinschaftshaus Klein Berkel": ("Klein Berkel", None),
    "Weserdeich Tündern": ("Tündern", "Am Weserdeich"),
    "Jugendzentrum Hameln": ("Nordstadt", None),
    "Sporthalle Wangelist": ("Wangelist", None),
    "Fahrradwerkstatt Rohrsen": ("Rohrsen", None),
    "Zeltplatz Sünteltal": ("Unsen", "Süntelweg"),
    "Freizeitgelände Hameln-Ost": ("Hameln-Ost", None),
    "Weserwiese Halvestorf": ("Halvestorf", "Weserblick"),
    "Sportplatz Klein Berkel": ("Klein Berkel", None),
    "Naturstation Hilligsfeld": ("Hilligsfeld", None),
    "Gutspark Hastenbeck": ("Hastenbeck", None),
    "Feuerwache Hameln": ("Südstadt", None),
    "Betriebshof der Stadt Hameln": ("Nordstadt", "Hafenstraße"),
}
# fmt: on
