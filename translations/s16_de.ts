<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context>
    <name>AvailableScreen</name>
    <message>
        <source>Important update available</source>
        <translation>Wichtiges Update verfügbar</translation>
    </message>
    <message>
        <source>Update available</source>
        <translation>Update verfügbar</translation>
    </message>
    <message>
        <source>Version %1 (%2)</source>
        <translation>Version %1 (%2)</translation>
    </message>
    <message>
        <source>Version %1</source>
        <translation>Version %1</translation>
    </message>
    <message>
        <source>What is new</source>
        <translation>Was ist neu</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>Später</translation>
    </message>
    <message>
        <source>Update now</source>
        <translation>Jetzt aktualisieren</translation>
    </message>
</context>
<context>
    <name>ErrorScreen</name>
    <message>
        <source>Hide details</source>
        <translation>Details ausblenden</translation>
    </message>
    <message>
        <source>Technical details</source>
        <translation>Technische Details</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>Erneut versuchen</translation>
    </message>
    <message>
        <source>Trying again…</source>
        <translation>Neuer Versuch läuft…</translation>
    </message>
</context>
<context>
    <name>HistoryScreen</name>
    <message>
        <source>Update history</source>
        <translation>Update-Verlauf</translation>
    </message>
    <message>
        <source>Nothing has happened yet.</source>
        <translation>Bisher ist nichts geschehen.</translation>
    </message>
    <message>
        <source>Technical details:</source>
        <translation>Technische Details:</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>Software update</source>
        <translation>Software-Update</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Zurück</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Verlauf</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>System update</source>
        <translation>Systemaktualisierung</translation>
    </message>
    <message numerus="yes">
        <source>About %n second(s) left</source>
        <translation>
            <numerusform>Noch etwa %n Sekunde</numerusform>
            <numerusform>Noch etwa %n Sekunden</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>About %n minute(s) left</source>
        <translation>
            <numerusform>Noch etwa %n Minute</numerusform>
            <numerusform>Noch etwa %n Minuten</numerusform>
        </translation>
    </message>
    <message>
        <source>Installing the update</source>
        <translation>Das Update wird installiert</translation>
    </message>
    <message>
        <source>%1% · %2 of %3</source>
        <translation>%1 % · %2 von %3</translation>
    </message>
    <message>
        <source>Check the update</source>
        <translation>Update prüfen</translation>
    </message>
    <message>
        <source>Write the new version</source>
        <translation>Neue Version schreiben</translation>
    </message>
    <message>
        <source>Prepare your data</source>
        <translation>Ihre Daten vorbereiten</translation>
    </message>
    <message>
        <source>Switch to the new version</source>
        <translation>Zur neuen Version wechseln</translation>
    </message>
    <message>
        <source>The new version is installed</source>
        <translation>Die neue Version ist installiert</translation>
    </message>
    <message>
        <source>Update not installed</source>
        <translation>Update nicht installiert</translation>
    </message>
    <message>
        <source>Restoring the previous version</source>
        <translation>Die vorherige Version wird wiederhergestellt</translation>
    </message>
    <message>
        <source>Previous version restored</source>
        <translation>Vorherige Version wiederhergestellt</translation>
    </message>
    <message>
        <source>Do not switch the device off.</source>
        <translation>Schalten Sie das Gerät nicht aus.</translation>
    </message>
    <message>
        <source>The device now restarts into the new version and checks that it works. If it does not, the device goes back to the previous version by itself.</source>
        <translation>Das Gerät startet jetzt mit der neuen Version neu und prüft, ob sie funktioniert. Falls nicht, kehrt es von selbst zur vorherigen Version zurück.</translation>
    </message>
    <message>
        <source>The device now restarts with the previous version, which works as before.</source>
        <translation>Das Gerät startet jetzt mit der vorherigen Version neu, die wie bisher funktioniert.</translation>
    </message>
    <message>
        <source>Technical details</source>
        <translation>Technische Details</translation>
    </message>
</context>
<context>
    <name>OutcomeScreen</name>
    <message>
        <source>Update complete</source>
        <translation>Update abgeschlossen</translation>
    </message>
    <message>
        <source>Update not installed</source>
        <translation>Update nicht installiert</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Hide details</source>
        <translation>Details ausblenden</translation>
    </message>
    <message>
        <source>Technical details</source>
        <translation>Technische Details</translation>
    </message>
</context>
<context>
    <name>PriorityScreen</name>
    <message>
        <source>Important update</source>
        <translation>Wichtiges Update</translation>
    </message>
    <message>
        <source>Restarting…</source>
        <translation>Neustart…</translation>
    </message>
    <message numerus="yes">
        <source>The device restarts in %n second(s) to install it.</source>
        <translation>
            <numerusform>Das Gerät startet in %n Sekunde neu, um es zu installieren.</numerusform>
            <numerusform>Das Gerät startet in %n Sekunden neu, um es zu installieren.</numerusform>
        </translation>
    </message>
    <message>
        <source>Please save your work. Do not switch the device off while it installs.</source>
        <translation>Bitte sichern Sie Ihre Arbeit. Schalten Sie das Gerät während der Installation nicht aus.</translation>
    </message>
    <message>
        <source>Restart now</source>
        <translation>Jetzt neu starten</translation>
    </message>
    <message>
        <source>Version %1 is marked as important by the maker of this device and is ready to install.</source>
        <translation>Version %1 ist vom Hersteller dieses Geräts als wichtig gekennzeichnet und bereit zur Installation.</translation>
    </message>
    <message>
        <source>What is new</source>
        <translation>Was ist neu</translation>
    </message>
</context>
<context>
    <name>ProgressScreen</name>
    <message>
        <source>Progress</source>
        <translation>Fortschritt</translation>
    </message>
    <message>
        <source>%1%</source>
        <translation>%1 %</translation>
    </message>
    <message>
        <source>%1 at %2</source>
        <translation>%1 mit %2</translation>
    </message>
</context>
<context>
    <name>SettingsScreen</name>
    <message>
        <source>Send diagnostic data when an update fails</source>
        <translation>Diagnosedaten senden, wenn ein Update fehlschlägt</translation>
    </message>
    <message>
        <source>What is sent?</source>
        <translation>Was wird gesendet?</translation>
    </message>
    <message>
        <source>This is what a report would hold now:</source>
        <translation>Das würde ein Bericht jetzt enthalten:</translation>
    </message>
    <message>
        <source>Diagnostic data</source>
        <translation>Diagnosedaten</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Schließen</translation>
    </message>
    <message>
        <source>When an update fails, the device can send a report to its maker so the problem can be fixed. The report holds the update state, the software versions, the recent update log and a random number that this device made for its reports, so that reports from the same device can be told apart. It holds no name, no files and no passwords. Nothing is sent unless you turn this on, and you can turn it off at any time.</source>
        <translation>Wenn ein Update fehlschlägt, kann das Gerät einen Bericht an seinen Hersteller senden, damit der Fehler behoben werden kann. Der Bericht enthält den Update-Status, die Softwareversionen, das letzte Update-Protokoll und eine Zufallszahl, die dieses Gerät für seine Berichte erzeugt hat, damit Berichte desselben Geräts zusammengehören. Er enthält keine Namen, keine Dateien und keine Passwörter. Es wird nichts gesendet, solange Sie dies nicht einschalten, und Sie können es jederzeit wieder ausschalten.</translation>
    </message>
</context>
<context>
    <name>StatusScreen</name>
    <message>
        <source>Running version: %1</source>
        <translation>Installierte Version: %1</translation>
    </message>
    <message>
        <source>Last check: %1</source>
        <translation>Letzte Prüfung: %1</translation>
    </message>
    <message>
        <source>Check now</source>
        <translation>Jetzt prüfen</translation>
    </message>
    <message>
        <source>System software</source>
        <translation>Systemsoftware</translation>
    </message>
    <message>
        <source>Show update</source>
        <translation>Update anzeigen</translation>
    </message>
</context>
<context>
    <name>s16::HistoryModel</name>
    <message>
        <source>Checked for updates</source>
        <translation>Nach Updates gesucht</translation>
    </message>
    <message>
        <source>Update downloaded and checked</source>
        <translation>Update heruntergeladen und geprüft</translation>
    </message>
    <message>
        <source>Restart requested to install the update</source>
        <translation>Neustart zur Installation des Updates angefordert</translation>
    </message>
    <message>
        <source>Download interrupted; trying again</source>
        <translation>Download unterbrochen; neuer Versuch</translation>
    </message>
    <message>
        <source>Checked for updates: version %1 found</source>
        <translation>Nach Updates gesucht: Version %1 gefunden</translation>
    </message>
    <message>
        <source>Checked for updates: no newer version</source>
        <translation>Nach Updates gesucht: keine neuere Version</translation>
    </message>
    <message>
        <source>Download started</source>
        <translation>Download gestartet</translation>
    </message>
    <message>
        <source>Download of version %1 started</source>
        <translation>Download von Version %1 gestartet</translation>
    </message>
    <message>
        <source>Download finished</source>
        <translation>Download abgeschlossen</translation>
    </message>
    <message>
        <source>Version %1 downloaded and checked</source>
        <translation>Version %1 heruntergeladen und geprüft</translation>
    </message>
    <message>
        <source>The device did not restart; the update installs at the next restart</source>
        <translation>Das Gerät hat nicht neu gestartet; das Update wird beim nächsten Neustart installiert</translation>
    </message>
    <message>
        <source>Update installed</source>
        <translation>Update installiert</translation>
    </message>
    <message>
        <source>Updated to version %1</source>
        <translation>Auf Version %1 aktualisiert</translation>
    </message>
    <message>
        <source>The update could not be installed</source>
        <translation>Das Update konnte nicht installiert werden</translation>
    </message>
    <message>
        <source>Version %1 could not be installed</source>
        <translation>Version %1 konnte nicht installiert werden</translation>
    </message>
    <message>
        <source>Sending diagnostic data turned on</source>
        <translation>Senden von Diagnosedaten eingeschaltet</translation>
    </message>
    <message>
        <source>Sending diagnostic data turned off</source>
        <translation>Senden von Diagnosedaten ausgeschaltet</translation>
    </message>
    <message>
        <source>Diagnostic report sent</source>
        <translation>Diagnosebericht gesendet</translation>
    </message>
    <message>
        <source>Diagnostic report not sent yet; the device tries again later</source>
        <translation>Diagnosebericht noch nicht gesendet; das Gerät versucht es später erneut</translation>
    </message>
    <message>
        <source>A diagnostic report could not be sent and was deleted</source>
        <translation>Ein Diagnosebericht konnte nicht gesendet werden und wurde gelöscht</translation>
    </message>
    <message>
        <source>The updater reported a problem</source>
        <translation>Das Update-Programm hat ein Problem gemeldet</translation>
    </message>
    <message>
        <source>The updater noted an event</source>
        <translation>Das Update-Programm hat ein Ereignis vermerkt</translation>
    </message>
    <message>
        <source>Step: %1</source>
        <translation>Schritt: %1</translation>
    </message>
    <message>
        <source>Error code: %1</source>
        <translation>Fehlercode: %1</translation>
    </message>
</context>
<context>
    <name>s16::UpdateController</name>
    <message>
        <source>Checking for updates…</source>
        <translation>Suche nach Updates…</translation>
    </message>
    <message>
        <source>Downloading the update…</source>
        <translation>Update wird heruntergeladen…</translation>
    </message>
    <message>
        <source>Restarting to install the update…</source>
        <translation>Neustart zur Installation des Updates…</translation>
    </message>
    <message>
        <source>Installing the update…</source>
        <translation>Update wird installiert…</translation>
    </message>
    <message>
        <source>Trying out the new version…</source>
        <translation>Die neue Version wird erprobt…</translation>
    </message>
    <message>
        <source>Not checked for updates yet.</source>
        <translation>Noch nicht nach Updates gesucht.</translation>
    </message>
    <message>
        <source>No update is waiting.</source>
        <translation>Kein Update ausstehend.</translation>
    </message>
    <message>
        <source>The device restarts to install the update. Please do not switch it off.</source>
        <translation>Das Gerät startet neu, um das Update zu installieren. Bitte schalten Sie es nicht aus.</translation>
    </message>
    <message>
        <source>You can go on using the device while the update downloads.</source>
        <translation>Sie können das Gerät weiter benutzen, während das Update heruntergeladen wird.</translation>
    </message>
    <message>
        <source>Never</source>
        <translation>Nie</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 von %2</translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/s</translation>
    </message>
    <message>
        <source>Estimating the time left…</source>
        <translation>Restzeit wird berechnet…</translation>
    </message>
    <message>
        <source>About %1 left</source>
        <translation>Noch etwa %1</translation>
    </message>
    <message>
        <source>Error code: %1 (%2)</source>
        <translation>Fehlercode: %1 (%2)</translation>
    </message>
    <message>
        <source>Step: %1</source>
        <translation>Schritt: %1</translation>
    </message>
    <message>
        <source>Time: %1</source>
        <translation>Zeit: %1</translation>
    </message>
    <message>
        <source>The update server cannot be reached</source>
        <translation>Der Update-Server ist nicht erreichbar</translation>
    </message>
    <message>
        <source>The update server could not be trusted</source>
        <translation>Dem Update-Server konnte nicht vertraut werden</translation>
    </message>
    <message>
        <source>This device was not allowed to get updates</source>
        <translation>Dieses Gerät darf keine Updates beziehen</translation>
    </message>
    <message>
        <source>The update information was not valid</source>
        <translation>Die Update-Informationen waren ungültig</translation>
    </message>
    <message>
        <source>The update could not be downloaded completely</source>
        <translation>Das Update konnte nicht vollständig heruntergeladen werden</translation>
    </message>
    <message>
        <source>The downloaded update was damaged</source>
        <translation>Das heruntergeladene Update war beschädigt</translation>
    </message>
    <message>
        <source>There is not enough storage for the update</source>
        <translation>Für das Update ist nicht genug Speicherplatz frei</translation>
    </message>
    <message>
        <source>The update could not be installed</source>
        <translation>Das Update konnte nicht installiert werden</translation>
    </message>
    <message>
        <source>The updater cannot run right now</source>
        <translation>Die Update-Funktion kann gerade nicht arbeiten</translation>
    </message>
    <message>
        <source>Something went wrong with the update</source>
        <translation>Beim Update ist etwas schiefgegangen</translation>
    </message>
    <message>
        <source>Check that the device is connected to the network, then try again. The device also tries again later on its own.</source>
        <translation>Prüfen Sie, ob das Gerät mit dem Netzwerk verbunden ist, und versuchen Sie es erneut. Das Gerät versucht es später auch von selbst wieder.</translation>
    </message>
    <message>
        <source>The connection was stopped for your safety. Check that the device&apos;s date and time are right. If this keeps happening, contact support.</source>
        <translation>Die Verbindung wurde zu Ihrer Sicherheit abgebrochen. Prüfen Sie, ob Datum und Uhrzeit des Geräts stimmen. Wenn das wieder passiert, wenden Sie sich an den Support.</translation>
    </message>
    <message>
        <source>The update server did not accept this device. Contact support.</source>
        <translation>Der Update-Server hat dieses Gerät nicht angenommen. Wenden Sie sich an den Support.</translation>
    </message>
    <message>
        <source>The update was refused for your safety and nothing was changed. Try again later; if this keeps happening, contact support.</source>
        <translation>Das Update wurde zu Ihrer Sicherheit abgelehnt, und nichts wurde verändert. Versuchen Sie es später erneut; wenn das wieder passiert, wenden Sie sich an den Support.</translation>
    </message>
    <message>
        <source>Check the network connection and try again. The download goes on where it stopped.</source>
        <translation>Prüfen Sie die Netzwerkverbindung und versuchen Sie es erneut. Der Download wird dort fortgesetzt, wo er unterbrochen wurde.</translation>
    </message>
    <message>
        <source>The damaged data was thrown away and nothing was changed. Try again to download the update anew.</source>
        <translation>Die beschädigten Daten wurden verworfen, und nichts wurde verändert. Versuchen Sie es erneut, um das Update neu herunterzuladen.</translation>
    </message>
    <message>
        <source>Nothing was changed. Free some storage on the device or contact support.</source>
        <translation>Nichts wurde verändert. Geben Sie Speicherplatz auf dem Gerät frei oder wenden Sie sich an den Support.</translation>
    </message>
    <message>
        <source>Your device still runs the previous version and works as before. Try again later or contact support.</source>
        <translation>Auf Ihrem Gerät läuft weiter die bisherige Version, und es funktioniert wie zuvor. Versuchen Sie es später erneut oder wenden Sie sich an den Support.</translation>
    </message>
    <message>
        <source>Another update may be running, or the update settings are wrong. Wait a moment and try again; if this keeps happening, contact support.</source>
        <translation>Vielleicht läuft gerade ein anderes Update, oder die Update-Einstellungen sind falsch. Warten Sie einen Moment und versuchen Sie es erneut; wenn das wieder passiert, wenden Sie sich an den Support.</translation>
    </message>
    <message>
        <source>Try again later. If this keeps happening, contact support and show them the details.</source>
        <translation>Versuchen Sie es später erneut. Wenn das wieder passiert, wenden Sie sich an den Support und zeigen Sie die Details.</translation>
    </message>
    <message numerus="yes">
        <source>%n second(s)</source>
        <translation>
            <numerusform>%n Sekunde</numerusform>
            <numerusform>%n Sekunden</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n minute(s)</source>
        <translation>
            <numerusform>%n Minute</numerusform>
            <numerusform>%n Minuten</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n hour(s)</source>
        <translation>
            <numerusform>%n Stunde</numerusform>
            <numerusform>%n Stunden</numerusform>
        </translation>
    </message>
    <message>
        <source>The device could not be restarted.</source>
        <translation>Das Gerät konnte nicht neu gestartet werden.</translation>
    </message>
    <message>
        <source>Version %1 is available.</source>
        <translation>Version %1 ist verfügbar.</translation>
    </message>
    <message>
        <source>%1: did not succeed</source>
        <translation>%1: nicht gelungen</translation>
    </message>
    <message>
        <source>%1: no newer version</source>
        <translation>%1: keine neuere Version</translation>
    </message>
    <message>
        <source>%1: version %2 found</source>
        <translation>%1: Version %2 gefunden</translation>
    </message>
    <message>
        <source>d MMM yyyy, HH:mm</source>
        <extracomment>The date and time format of the whole UI (QLocale pattern); German: &quot;d. MMM yyyy, HH:mm&quot;</extracomment>
        <translation>d. MMM yyyy, HH:mm</translation>
    </message>
    <message>
        <source>What is new in this version is shown after the next check.</source>
        <translation>Was in dieser Version neu ist, wird nach der nächsten Suche angezeigt.</translation>
    </message>
    <message>
        <source>No release notes were published.</source>
        <translation>Es wurden keine Versionshinweise veröffentlicht.</translation>
    </message>
    <message>
        <source>Your device now runs version %1.</source>
        <translation>Auf Ihrem Gerät läuft jetzt Version %1.</translation>
    </message>
    <message>
        <source>Version %1 was not installed. Your device is running version %2 again and works as before.</source>
        <translation>Version %1 wurde nicht installiert. Auf Ihrem Gerät läuft wieder Version %2, und es funktioniert wie bisher.</translation>
    </message>
    <message>
        <source>The new version did not work properly when it started, so the device went back to the previous version.</source>
        <translation>Die neue Version hat beim Start nicht richtig funktioniert, deshalb ist das Gerät zur vorherigen Version zurückgekehrt.</translation>
    </message>
    <message>
        <source>Your data could not be prepared for the new version.</source>
        <translation>Ihre Daten konnten nicht für die neue Version vorbereitet werden.</translation>
    </message>
    <message>
        <source>The new version could not be written to the device&apos;s storage.</source>
        <translation>Die neue Version konnte nicht in den Speicher des Geräts geschrieben werden.</translation>
    </message>
    <message>
        <source>The downloaded update did not pass its safety check, so it was not installed.</source>
        <translation>Das heruntergeladene Update hat die Sicherheitsprüfung nicht bestanden und wurde deshalb nicht installiert.</translation>
    </message>
    <message>
        <source>There was not enough storage to install the update.</source>
        <translation>Es war nicht genug Speicher frei, um das Update zu installieren.</translation>
    </message>
    <message>
        <source>The update could not be installed.</source>
        <translation>Das Update konnte nicht installiert werden.</translation>
    </message>
    <message>
        <source>Version %1 is ready to install.</source>
        <translation>Version %1 ist bereit zur Installation.</translation>
    </message>
    <message>
        <source>The update was stopped</source>
        <translation>Das Update wurde angehalten</translation>
    </message>
    <message>
        <source>Nothing was lost. The update goes on where it stopped the next time it runs.</source>
        <translation>Es ging nichts verloren. Das Update macht beim nächsten Mal dort weiter, wo es angehalten wurde.</translation>
    </message>
    <message>
        <source>The update service is not running.</source>
        <translation>Der Update-Dienst läuft nicht.</translation>
    </message>
    <message>
        <source>The update service looks after another device.</source>
        <translation>Der Update-Dienst ist für ein anderes Gerät zuständig.</translation>
    </message>
    <message>
        <source>The updater is not running</source>
        <translation>Die Update-Funktion läuft nicht</translation>
    </message>
    <message>
        <source>The device starts it again on its own and this screen then shows the update state. If this message stays, restart the device.</source>
        <translation>Das Gerät startet sie von selbst neu, dann zeigt dieser Bildschirm wieder den Stand der Updates. Wenn diese Meldung bleibt, starten Sie das Gerät neu.</translation>
    </message>
    <message>
        <source>This user account may not change the device&apos;s updates.</source>
        <translation>Dieses Benutzerkonto darf die Updates des Geräts nicht ändern.</translation>
    </message>
    <message>
        <source>The updater did not take the request.</source>
        <translation>Die Update-Funktion hat die Anfrage nicht angenommen.</translation>
    </message>
    <message>
        <source>Downloading %1 (update size %2)</source>
        <extracomment>%1: what is downloaded, %2: the size of the update it becomes (&quot;Downloading 19 MB (update size 1.1 GB)&quot;)</extracomment>
        <translation>%1 werden heruntergeladen (Update-Größe %2)</translation>
    </message>
</context>
</TS>
