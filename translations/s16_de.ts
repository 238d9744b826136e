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
        <source>No release notes were published.</source>
        <translation>Zu diesem Update gibt es keine Versionshinweise.</translation>
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
</context>
<context>
    <name>HistoryScreen</name>
    <message>
        <source>History</source>
        <translation>Verlauf</translation>
    </message>
    <message>
        <source>Update history</source>
        <translation>Update-Verlauf</translation>
    </message>
    <message>
        <source>%1 · step %2</source>
        <translation>%1 · Schritt %2</translation>
    </message>
    <message>
        <source>Nothing has happened yet.</source>
        <translation>Bisher ist nichts geschehen.</translation>
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
    <message>
        <source>Verify</source>
        <translation>Prüfen</translation>
    </message>
    <message>
        <source>Install</source>
        <translation>Installieren</translation>
    </message>
    <message>
        <source>Migrate data</source>
        <translation>Daten übernehmen</translation>
    </message>
    <message>
        <source>Restart services</source>
        <translation>Dienste neu starten</translation>
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
        <source>Rolling back</source>
        <translation>Wird zurückgesetzt</translation>
    </message>
    <message>
        <source>%1% · %2 of %3</source>
        <translation>%1 % · %2 von %3</translation>
    </message>
    <message>
        <source>Do not turn off the device</source>
        <translation>Schalten Sie das Gerät nicht aus</translation>
    </message>
    <message>
        <source>The update is installed. The device now starts the new system.</source>
        <translation>Das Update ist installiert. Das Gerät startet jetzt das neue System.</translation>
    </message>
    <message>
        <source>The update could not be installed: %1. The device starts the previous system.</source>
        <translation>Das Update konnte nicht installiert werden: %1. Das Gerät startet das bisherige System.</translation>
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
</context>
<context>
    <name>PriorityScreen</name>
    <message>
        <source>Important update</source>
        <translation>Wichtiges Update</translation>
    </message>
    <message>
        <source>Version %1 fixes an important problem and is ready to install.</source>
        <translation>Version %1 behebt ein wichtiges Problem und ist bereit zur Installation.</translation>
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
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Send diagnostic data when an update fails</source>
        <translation>Diagnosedaten senden, wenn ein Update fehlschlägt</translation>
    </message>
    <message>
        <source>When an update fails, the device can send a report to its maker so the problem can be fixed. The report holds the update state, the software versions and the recent update log: no personal data, no files, no passwords. Nothing is sent unless you turn this on, and you can turn it off at any time.</source>
        <translation>Wenn ein Update fehlschlägt, kann das Gerät einen Bericht an seinen Hersteller senden, damit das Problem behoben werden kann. Der Bericht enthält den Update-Status, die Softwareversionen und das Update-Protokoll der letzten Zeit: keine persönlichen Daten, keine Dateien, keine Passwörter. Ohne Ihre Zustimmung wird nichts gesendet, und Sie können sie jederzeit widerrufen.</translation>
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
</context>
<context>
    <name>StatusScreen</name>
    <message>
        <source>Software update</source>
        <translation>Software-Update</translation>
    </message>
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
</context>
<context>
    <name>s16::UpdateController</name>
    <message>
        <source>The update settings cannot be read.</source>
        <translation>Die Update-Einstellungen können nicht gelesen werden.</translation>
    </message>
    <message>
        <source>Checking for updates…</source>
        <translation>Suche nach Updates…</translation>
    </message>
    <message>
        <source>Downloading the update…</source>
        <translation>Update wird heruntergeladen…</translation>
    </message>
    <message>
        <source>An update is ready to install.</source>
        <translation>Ein Update ist bereit zur Installation.</translation>
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
        <source>Updated to %1</source>
        <translation>Auf %1 aktualisiert</translation>
    </message>
    <message>
        <source>The update failed; your device is running %1 again</source>
        <translation>Das Update ist fehlgeschlagen; auf Ihrem Gerät läuft wieder %1</translation>
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
        <source>Another update program is working on this device right now.</source>
        <translation>Gerade arbeitet ein anderes Update-Programm auf diesem Gerät.</translation>
    </message>
    <message>
        <source>The device could not be restarted.</source>
        <translation>Das Gerät konnte nicht neu gestartet werden.</translation>
    </message>
</context>
</TS>
