# Hallmarks Seiten und Bilder auf Deutsch. Jede Nachricht hier steht auch in en.ftl
# (ein Test von hallmark-web prüft das).

site-title = Hallmark
lang-name = Deutsch
lang-switch = Sprache
skip-to-content = Zum Inhalt springen
nav-directory = Partnerverzeichnis
nav-program = Programm
nav-verify = Abzeichen prüfen
footer-about = Geprüft mit Hallmark: signierte Abzeichen (W3C Verifiable Credentials 2.0, Open Badges 3.0), die jeder nachprüfen kann.

## Die Zustände eines Abzeichens, in Worten (nie nur durch Farbe).
state-valid = Gültig
state-expired = Abgelaufen
state-not-yet-valid = Noch nicht gültig
state-suspended = Ausgesetzt
state-revoked = Widerrufen
state-invalid = Ungültig
state-unknown = Nicht prüfbar
state-valid-lead = Dieses Abzeichen ist echt und aktuell.
state-expired-lead = Dieses Abzeichen war echt, ist aber abgelaufen.
state-not-yet-valid-lead = Dieses Abzeichen ist echt, gilt aber noch nicht.
state-suspended-lead = Der Aussteller hat dieses Abzeichen ausgesetzt.
state-revoked-lead = Der Aussteller hat dieses Abzeichen widerrufen.
state-invalid-lead = Dieses Abzeichen hat die Prüfung nicht bestanden: Es wurde möglicherweise verändert oder nicht von dem ausgestellt, den es nennt.
state-unknown-lead = Dieses Abzeichen konnte gerade nicht vollständig geprüft werden. Verlassen Sie sich nicht darauf, bis es geprüft werden kann.
state-untrusted-lead = Dieses Abzeichen ist wie angegeben signiert, aber sein Aussteller, { $issuer }, gehört nicht zu denen, denen dieser Dienst vertraut.
state-unvouched = Dieser Dienst hat keine Liste vertrauenswürdiger Aussteller: Jeder kann ein Abzeichen unter jedem Namen signieren. Prüfen Sie, ob { $issuer } der ist, den Sie erwarten (Domain oder Schlüssel stehen unten).

## Die Prüfseite.
verify-title = { $partner } — { $tier }
verify-holds = { $partner } ist { $tier }
verify-partner = Partner
verify-tier = Stufe
verify-role = Rolle
verify-competencies = Kompetenzen
verify-issuer = Ausgestellt von
verify-issuer-domain = Domain: { $domain }
verify-issuer-key-only = Dieser Aussteller ist nur durch einen Schlüssel (did:key) bezeichnet, nicht durch eine Web-Domain: Prüfen Sie, ob Sie diesem Schlüssel vertrauen.
verify-issued = Ausgestellt am
verify-expires = Gültig bis
verify-expired-on = Abgelaufen am
verify-expiry-date = Ablaufdatum
verify-days-left = { $days ->
    [one] noch { $days } Tag
   *[other] noch { $days } Tage
}
verify-reason = Grund: { $reason }
verify-successor = Ein neueres Abzeichen ersetzt dieses: { $link }
verify-unnamed = (ohne Namen)
check-other = Weitere Prüfung
verify-successor-link = zum aktuellen Abzeichen
verify-checked-at = Geprüft am { $at }
verify-details = Alle Prüfungen
verify-check = Prüfung
verify-outcome = Ergebnis
verify-detail = Einzelheiten
verify-raw = Das Abzeichen, wie es signiert wurde (JSON)
verify-command = Selbst prüfen, auf der Kommandozeile:
verify-embed = Dieses Abzeichen auf Ihrer Website zeigen
verify-embed-help = Fügen Sie diesen Ausschnitt in Ihre Seite ein. Das Bild zeigt stets den aktuellen Zustand des Abzeichens und verweist hierher.
verify-linkedin = Zum LinkedIn-Profil hinzufügen
verify-downloads = Downloads
verify-qr = QR-Code (SVG)
verify-qr-png = QR-Code (PNG)
verify-baked-png = Abzeichenbild mit eingebettetem Nachweis (PNG)
verify-baked-svg = Abzeichenbild mit eingebettetem Nachweis (SVG)

check-parse = Format
check-proof = Signatur
check-issuer = Schlüssel des Ausstellers
check-trust = Vertrauenswürdiger Aussteller
check-validity = Gültigkeitszeitraum
check-status = Widerruf und Aussetzung
check-holder = Inhaber
check-challenge = Challenge
outcome-passed = Bestanden
outcome-failed = Nicht bestanden
outcome-unknown = Nicht feststellbar
outcome-warning = Warnung
outcome-skipped = Übersprungen

## Das eingebettete Bild.
embed-alt = { $partner }: { $tier }. Dieses Abzeichen prüfen.

## Monate, für Daten in Worten.
month-1 = Januar
month-2 = Februar
month-3 = März
month-4 = April
month-5 = Mai
month-6 = Juni
month-7 = Juli
month-8 = August
month-9 = September
month-10 = Oktober
month-11 = November
month-12 = Dezember

## Fehler als Seiten.
error-title = Etwas stimmt nicht
error-not-found = Diese Seite gibt es nicht.

## Die Seite zum Prüfen beliebiger Abzeichen.
paste-title = Abzeichen prüfen
paste-lead = Prüfen Sie jedes Abzeichen nach Open Badges 3.0 oder Verifiable Credentials: Signatur, Aussteller, Gültigkeit und ob es widerrufen oder ausgesetzt wurde.
paste-json = Abzeichen einfügen
paste-json-label = Das JSON des Abzeichens
paste-upload = Datei hochladen
paste-upload-label = Eine Abzeichendatei: JSON oder ein Abzeichenbild mit eingebettetem Nachweis (PNG oder SVG)
paste-upload-help = Bis zu { $kib } KB.
paste-url = Adresse angeben
paste-url-label = Die URL des Abzeichens (https)
paste-submit = Prüfen
paste-again = Ein weiteres Abzeichen prüfen
paste-error-empty = Es wurde nichts angegeben: Fügen Sie ein Abzeichen ein, wählen Sie eine Datei oder geben Sie eine URL ein.
paste-error-fetch = Das Abzeichen konnte nicht abgerufen werden: { $why }
paste-error-presentation = Dies ist eine Präsentation, kein einzelnes Abzeichen: Senden Sie sie an den Präsentations-Endpunkt (POST /presentations/verify).
paste-error-image = Dieses Bild enthält kein Abzeichen: { $why }
paste-error-too-large = Das ist größer als die { $kib } KB, die dieser Dienst annimmt.
paste-error-busy = Der Dienst ist gerade ausgelastet; versuchen Sie es gleich noch einmal.

## directory and program pages
directory-title = Partnerverzeichnis
directory-lead = Zertifizierte Partner des Programms mit ihren aktuellen Abzeichen. Jedes Abzeichen führt zu seiner Prüfseite.
directory-name = Partnername enthält
directory-tier = Stufe
directory-role = Rolle
directory-competency = Kompetenz
directory-any = Alle
directory-all = Auch abgelaufene, ausgesetzte und widerrufene Abzeichen zeigen
directory-search = Suchen
directory-results = Partner
directory-none = Kein gelisteter Partner passt zu dieser Suche.
directory-valid-until = gültig bis { $date }
directory-verify = Abzeichen { $tier } prüfen
directory-pages = Seiten
directory-next = Nächste Seite
program-issuer = Ausgestellt von
program-issuer-name = Name
program-issuer-id = Kennung (DID)
program-issuer-url = Website
program-framework = Kompetenzrahmen
program-tiers = Stufen
program-roles = Rollen
program-competencies = Kompetenzen
tier-criteria = Kriterien
tier-criteria-signed = So wie das Programm sie formuliert und wie jedes Abzeichen dieser Stufe sie enthält (criteria.narrative, in der Sprache des Programms):
tier-exam = Prüfung
tier-exam-score = mindestens { $score } %
tier-demo = Live-Demo, mindestens
tier-references = Bestätigte Kundenreferenzen
tier-validity = Gültig für
tier-validity-days = { $days } Tage
tier-competencies = Geforderte Kompetenzen
tier-no-competencies = Keine bestimmte Kompetenz gefordert.
tier-benefits = Vorteile
competency-code = Kürzel
competency-tiers = Stufen, die sie fordern
competency-no-tiers = Keine Stufe fordert sie.
home-lead = Finden Sie zertifizierte Partner, lesen Sie, was jede Stufe verlangt, oder prüfen Sie ein Abzeichen, das Sie erhalten haben.
home-directory = Zertifizierten Partner finden
home-program = Das Programm: Stufen und Kompetenzen
home-verify = Abzeichen prüfen
home-back = Zurück zur Startseite

## A badge's life: the public reason (its "message" status), renewal on the tier page
tier-grace = Nach Ablauf erneuerbar
tier-grace-days = noch { $days } Tage
tier-renewal = Eine Erneuerung erfordert
public-message-superseded = durch ein neueres Abzeichen ersetzt
public-message-lapsed = abgelaufen (nicht rechtzeitig erneuert)
public-message-withdrawn = vom Programm zurückgezogen
public-message-under-review = wird vom Programm überprüft

## specializations
program-specializations = Spezialisierungen
specialization-min-tier = Setzt die Stufe voraus
specialization-roles = Offen für die Rollen
# The embed component (issue 16), on the verify page's embed section.
verify-embed-component = Optional, für Websites, die Skripte erlauben: Umschließen Sie den Ausschnitt mit einem <hallmark-badge>-Element und laden Sie /assets/hallmark-badge.js von dieser Website (ein Modul-Skript); das Abzeichen zeigt dann zusätzlich seinen im Browser des Besuchers geprüften Zustand. Ohne Skripte erscheint der Ausschnitt unverändert.


## The in-browser check on the verify page (issue 16)
browser-heading = In Ihrem Browser erneut geprüft
browser-running = Ihr Browser prüft dieses Abzeichen …
browser-agrees = In Ihrem Browser bestätigt: { $state }
browser-agrees-detail = Ihr Browser hat dieselben Prüfungen selbst ausgeführt (Build { $build }, { $ms } ms) und kommt zum selben Ergebnis wie der Server.
browser-disagrees = Die Prüfung in Ihrem Browser widerspricht dem Server: Sie ergibt für dieses Abzeichen „{ $state }“
browser-disagrees-detail = Der Server sagt „{ $server }“. Was Ihr Browser (Build { $build }) gefunden hat, zeigt die Tabelle unten; verlassen Sie sich nicht auf dieses Abzeichen, bis beide übereinstimmen.
browser-failed = Die Prüfung in Ihrem Browser konnte nicht laufen; das Ergebnis oben ist das des Servers.
