<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US">
<context>
    <name>AvailableScreen</name>
    <message>
        <source>Important update available</source>
        <translation>Important update available</translation>
    </message>
    <message>
        <source>Update available</source>
        <translation>Update available</translation>
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
        <translation>What is new</translation>
    </message>
    <message>
        <source>Later</source>
        <translation>Later</translation>
    </message>
    <message>
        <source>Update now</source>
        <translation>Update now</translation>
    </message>
</context>
<context>
    <name>ErrorScreen</name>
    <message>
        <source>Hide details</source>
        <translation>Hide details</translation>
    </message>
    <message>
        <source>Technical details</source>
        <translation>Technical details</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>Try again</source>
        <translation>Try again</translation>
    </message>
    <message>
        <source>Trying again…</source>
        <translation>Trying again…</translation>
    </message>
</context>
<context>
    <name>HistoryScreen</name>
    <message>
        <source>Update history</source>
        <translation>Update history</translation>
    </message>
    <message>
        <source>Nothing has happened yet.</source>
        <translation>Nothing has happened yet.</translation>
    </message>
    <message>
        <source>Technical details:</source>
        <translation>Technical details:</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>Software update</source>
        <translation>Software update</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>History</source>
        <translation>History</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Settings</translation>
    </message>
    <message>
        <source>System update</source>
        <translation>System update</translation>
    </message>
    <message numerus="yes">
        <source>About %n second(s) left</source>
        <translation>
            <numerusform>About %n second left</numerusform>
            <numerusform>About %n seconds left</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>About %n minute(s) left</source>
        <translation>
            <numerusform>About %n minute left</numerusform>
            <numerusform>About %n minutes left</numerusform>
        </translation>
    </message>
    <message>
        <source>Installing the update</source>
        <translation>Installing the update</translation>
    </message>
    <message>
        <source>%1% · %2 of %3</source>
        <translation>%1% · %2 of %3</translation>
    </message>
    <message>
        <source>Check the update</source>
        <translation>Check the update</translation>
    </message>
    <message>
        <source>Write the new version</source>
        <translation>Write the new version</translation>
    </message>
    <message>
        <source>Prepare your data</source>
        <translation>Prepare your data</translation>
    </message>
    <message>
        <source>Switch to the new version</source>
        <translation>Switch to the new version</translation>
    </message>
    <message>
        <source>The new version is installed</source>
        <translation>The new version is installed</translation>
    </message>
    <message>
        <source>Update not installed</source>
        <translation>Update not installed</translation>
    </message>
    <message>
        <source>Restoring the previous version</source>
        <translation>Restoring the previous version</translation>
    </message>
    <message>
        <source>Previous version restored</source>
        <translation>Previous version restored</translation>
    </message>
    <message>
        <source>Do not switch the device off.</source>
        <translation>Do not switch the device off.</translation>
    </message>
    <message>
        <source>The device now restarts into the new version and checks that it works. If it does not, the device goes back to the previous version by itself.</source>
        <translation>The device now restarts into the new version and checks that it works. If it does not, the device goes back to the previous version by itself.</translation>
    </message>
    <message>
        <source>The device now restarts with the previous version, which works as before.</source>
        <translation>The device now restarts with the previous version, which works as before.</translation>
    </message>
    <message>
        <source>Technical details</source>
        <translation>Technical details</translation>
    </message>
</context>
<context>
    <name>OutcomeScreen</name>
    <message>
        <source>Update complete</source>
        <translation>Update complete</translation>
    </message>
    <message>
        <source>Update not installed</source>
        <translation>Update not installed</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Hide details</source>
        <translation>Hide details</translation>
    </message>
    <message>
        <source>Technical details</source>
        <translation>Technical details</translation>
    </message>
</context>
<context>
    <name>PriorityScreen</name>
    <message>
        <source>Important update</source>
        <translation>Important update</translation>
    </message>
    <message>
        <source>Restarting…</source>
        <translation>Restarting…</translation>
    </message>
    <message numerus="yes">
        <source>The device restarts in %n second(s) to install it.</source>
        <translation>
            <numerusform>The device restarts in %n second to install it.</numerusform>
            <numerusform>The device restarts in %n seconds to install it.</numerusform>
        </translation>
    </message>
    <message>
        <source>Please save your work. Do not switch the device off while it installs.</source>
        <translation>Please save your work. Do not switch the device off while it installs.</translation>
    </message>
    <message>
        <source>Restart now</source>
        <translation>Restart now</translation>
    </message>
    <message>
        <source>Version %1 is marked as important by the maker of this device and is ready to install.</source>
        <translation>Version %1 is marked as important by the maker of this device and is ready to install.</translation>
    </message>
    <message>
        <source>What is new</source>
        <translation>What is new</translation>
    </message>
</context>
<context>
    <name>ProgressScreen</name>
    <message>
        <source>Progress</source>
        <translation>Progress</translation>
    </message>
    <message>
        <source>%1%</source>
        <translation>%1%</translation>
    </message>
    <message>
        <source>%1 at %2</source>
        <translation>%1 at %2</translation>
    </message>
</context>
<context>
    <name>SettingsScreen</name>
    <message>
        <source>Send diagnostic data when an update fails</source>
        <translation>Send diagnostic data when an update fails</translation>
    </message>
    <message>
        <source>What is sent?</source>
        <translation>What is sent?</translation>
    </message>
    <message>
        <source>This is what a report would hold now:</source>
        <translation>This is what a report would hold now:</translation>
    </message>
    <message>
        <source>Diagnostic data</source>
        <translation>Diagnostic data</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Close</translation>
    </message>
    <message>
        <source>When an update fails, the device can send a report to its maker so the problem can be fixed. The report holds the update state, the software versions, the recent update log and a random number that this device made for its reports, so that reports from the same device can be told apart. It holds no name, no files and no passwords. Nothing is sent unless you turn this on, and you can turn it off at any time.</source>
        <translation>When an update fails, the device can send a report to its maker so the problem can be fixed. The report holds the update state, the software versions, the recent update log and a random number that this device made for its reports, so that reports from the same device can be told apart. It holds no name, no files and no passwords. Nothing is sent unless you turn this on, and you can turn it off at any time.</translation>
    </message>
</context>
<context>
    <name>StatusScreen</name>
    <message>
        <source>Running version: %1</source>
        <translation>Running version: %1</translation>
    </message>
    <message>
        <source>Last check: %1</source>
        <translation>Last check: %1</translation>
    </message>
    <message>
        <source>Check now</source>
        <translation>Check now</translation>
    </message>
    <message>
        <source>System software</source>
        <translation>System software</translation>
    </message>
    <message>
        <source>Show update</source>
        <translation>Show update</translation>
    </message>
</context>
<context>
    <name>s16::HistoryModel</name>
    <message>
        <source>Checked for updates</source>
        <translation>Checked for updates</translation>
    </message>
    <message>
        <source>Update downloaded and checked</source>
        <translation>Update downloaded and checked</translation>
    </message>
    <message>
        <source>Restart requested to install the update</source>
        <translation>Restart requested to install the update</translation>
    </message>
    <message>
        <source>Download interrupted; trying again</source>
        <translation>Download interrupted; trying again</translation>
    </message>
    <message>
        <source>Checked for updates: version %1 found</source>
        <translation>Checked for updates: version %1 found</translation>
    </message>
    <message>
        <source>Checked for updates: no newer version</source>
        <translation>Checked for updates: no newer version</translation>
    </message>
    <message>
        <source>Download started</source>
        <translation>Download started</translation>
    </message>
    <message>
        <source>Download of version %1 started</source>
        <translation>Download of version %1 started</translation>
    </message>
    <message>
        <source>Download finished</source>
        <translation>Download finished</translation>
    </message>
    <message>
        <source>Version %1 downloaded and checked</source>
        <translation>Version %1 downloaded and checked</translation>
    </message>
    <message>
        <source>The device did not restart; the update installs at the next restart</source>
        <translation>The device did not restart; the update installs at the next restart</translation>
    </message>
    <message>
        <source>Update installed</source>
        <translation>Update installed</translation>
    </message>
    <message>
        <source>Updated to version %1</source>
        <translation>Updated to version %1</translation>
    </message>
    <message>
        <source>The update could not be installed</source>
        <translation>The update could not be installed</translation>
    </message>
    <message>
        <source>Version %1 could not be installed</source>
        <translation>Version %1 could not be installed</translation>
    </message>
    <message>
        <source>Sending diagnostic data turned on</source>
        <translation>Sending diagnostic data turned on</translation>
    </message>
    <message>
        <source>Sending diagnostic data turned off</source>
        <translation>Sending diagnostic data turned off</translation>
    </message>
    <message>
        <source>Diagnostic report sent</source>
        <translation>Diagnostic report sent</translation>
    </message>
    <message>
        <source>Diagnostic report not sent yet; the device tries again later</source>
        <translation>Diagnostic report not sent yet; the device tries again later</translation>
    </message>
    <message>
        <source>A diagnostic report could not be sent and was deleted</source>
        <translation>A diagnostic report could not be sent and was deleted</translation>
    </message>
    <message>
        <source>The updater reported a problem</source>
        <translation>The updater reported a problem</translation>
    </message>
    <message>
        <source>The updater noted an event</source>
        <translation>The updater noted an event</translation>
    </message>
    <message>
        <source>Step: %1</source>
        <translation>Step: %1</translation>
    </message>
    <message>
        <source>Error code: %1</source>
        <translation>Error code: %1</translation>
    </message>
</context>
<context>
    <name>s16::UpdateController</name>
    <message>
        <source>Checking for updates…</source>
        <translation>Checking for updates…</translation>
    </message>
    <message>
        <source>Downloading the update…</source>
        <translation>Downloading the update…</translation>
    </message>
    <message>
        <source>Restarting to install the update…</source>
        <translation>Restarting to install the update…</translation>
    </message>
    <message>
        <source>Installing the update…</source>
        <translation>Installing the update…</translation>
    </message>
    <message>
        <source>Trying out the new version…</source>
        <translation>Trying out the new version…</translation>
    </message>
    <message>
        <source>Not checked for updates yet.</source>
        <translation>Not checked for updates yet.</translation>
    </message>
    <message>
        <source>No update is waiting.</source>
        <translation>No update is waiting.</translation>
    </message>
    <message>
        <source>The device restarts to install the update. Please do not switch it off.</source>
        <translation>The device restarts to install the update. Please do not switch it off.</translation>
    </message>
    <message>
        <source>You can go on using the device while the update downloads.</source>
        <translation>You can go on using the device while the update downloads.</translation>
    </message>
    <message>
        <source>Never</source>
        <translation>Never</translation>
    </message>
    <message>
        <source>%1 of %2</source>
        <translation>%1 of %2</translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/s</translation>
    </message>
    <message>
        <source>Estimating the time left…</source>
        <translation>Estimating the time left…</translation>
    </message>
    <message>
        <source>About %1 left</source>
        <translation>About %1 left</translation>
    </message>
    <message>
        <source>Error code: %1 (%2)</source>
        <translation>Error code: %1 (%2)</translation>
    </message>
    <message>
        <source>Step: %1</source>
        <translation>Step: %1</translation>
    </message>
    <message>
        <source>Time: %1</source>
        <translation>Time: %1</translation>
    </message>
    <message>
        <source>The update server cannot be reached</source>
        <translation>The update server cannot be reached</translation>
    </message>
    <message>
        <source>The update server could not be trusted</source>
        <translation>The update server could not be trusted</translation>
    </message>
    <message>
        <source>This device was not allowed to get updates</source>
        <translation>This device was not allowed to get updates</translation>
    </message>
    <message>
        <source>The update information was not valid</source>
        <translation>The update information was not valid</translation>
    </message>
    <message>
        <source>The update could not be downloaded completely</source>
        <translation>The update could not be downloaded completely</translation>
    </message>
    <message>
        <source>The downloaded update was damaged</source>
        <translation>The downloaded update was damaged</translation>
    </message>
    <message>
        <source>There is not enough storage for the update</source>
        <translation>There is not enough storage for the update</translation>
    </message>
    <message>
        <source>The update could not be installed</source>
        <translation>The update could not be installed</translation>
    </message>
    <message>
        <source>The updater cannot run right now</source>
        <translation>The updater cannot run right now</translation>
    </message>
    <message>
        <source>Something went wrong with the update</source>
        <translation>Something went wrong with the update</translation>
    </message>
    <message>
        <source>Check that the device is connected to the network, then try again. The device also tries again later on its own.</source>
        <translation>Check that the device is connected to the network, then try again. The device also tries again later on its own.</translation>
    </message>
    <message>
        <source>The connection was stopped for your safety. Check that the device&apos;s date and time are right. If this keeps happening, contact support.</source>
        <translation>The connection was stopped for your safety. Check that the device&apos;s date and time are right. If this keeps happening, contact support.</translation>
    </message>
    <message>
        <source>The update server did not accept this device. Contact support.</source>
        <translation>The update server did not accept this device. Contact support.</translation>
    </message>
    <message>
        <source>The update was refused for your safety and nothing was changed. Try again later; if this keeps happening, contact support.</source>
        <translation>The update was refused for your safety and nothing was changed. Try again later; if this keeps happening, contact support.</translation>
    </message>
    <message>
        <source>Check the network connection and try again. The download goes on where it stopped.</source>
        <translation>Check the network connection and try again. The download goes on where it stopped.</translation>
    </message>
    <message>
        <source>The damaged data was thrown away and nothing was changed. Try again to download the update anew.</source>
        <translation>The damaged data was thrown away and nothing was changed. Try again to download the update anew.</translation>
    </message>
    <message>
        <source>Nothing was changed. Free some storage on the device or contact support.</source>
        <translation>Nothing was changed. Free some storage on the device or contact support.</translation>
    </message>
    <message>
        <source>Your device still runs the previous version and works as before. Try again later or contact support.</source>
        <translation>Your device still runs the previous version and works as before. Try again later or contact support.</translation>
    </message>
    <message>
        <source>Another update may be running, or the update settings are wrong. Wait a moment and try again; if this keeps happening, contact support.</source>
        <translation>Another update may be running, or the update settings are wrong. Wait a moment and try again; if this keeps happening, contact support.</translation>
    </message>
    <message>
        <source>Try again later. If this keeps happening, contact support and show them the details.</source>
        <translation>Try again later. If this keeps happening, contact support and show them the details.</translation>
    </message>
    <message numerus="yes">
        <source>%n second(s)</source>
        <translation>
            <numerusform>%n second</numerusform>
            <numerusform>%n seconds</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n minute(s)</source>
        <translation>
            <numerusform>%n minute</numerusform>
            <numerusform>%n minutes</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n hour(s)</source>
        <translation>
            <numerusform>%n hour</numerusform>
            <numerusform>%n hours</numerusform>
        </translation>
    </message>
    <message>
        <source>The device could not be restarted.</source>
        <translation>The device could not be restarted.</translation>
    </message>
    <message>
        <source>Version %1 is available.</source>
        <translation>Version %1 is available.</translation>
    </message>
    <message>
        <source>%1: did not succeed</source>
        <translation>%1: did not succeed</translation>
    </message>
    <message>
        <source>%1: no newer version</source>
        <translation>%1: no newer version</translation>
    </message>
    <message>
        <source>%1: version %2 found</source>
        <translation>%1: version %2 found</translation>
    </message>
    <message>
        <source>d MMM yyyy, HH:mm</source>
        <extracomment>The date and time format of the whole UI (QLocale pattern); German: &quot;d. MMM yyyy, HH:mm&quot;</extracomment>
        <translation>d MMM yyyy, HH:mm</translation>
    </message>
    <message>
        <source>What is new in this version is shown after the next check.</source>
        <translation>What is new in this version is shown after the next check.</translation>
    </message>
    <message>
        <source>No release notes were published.</source>
        <translation>No release notes were published.</translation>
    </message>
    <message>
        <source>Your device now runs version %1.</source>
        <translation>Your device now runs version %1.</translation>
    </message>
    <message>
        <source>Version %1 was not installed. Your device is running version %2 again and works as before.</source>
        <translation>Version %1 was not installed. Your device is running version %2 again and works as before.</translation>
    </message>
    <message>
        <source>The new version did not work properly when it started, so the device went back to the previous version.</source>
        <translation>The new version did not work properly when it started, so the device went back to the previous version.</translation>
    </message>
    <message>
        <source>Your data could not be prepared for the new version.</source>
        <translation>Your data could not be prepared for the new version.</translation>
    </message>
    <message>
        <source>The new version could not be written to the device&apos;s storage.</source>
        <translation>The new version could not be written to the device&apos;s storage.</translation>
    </message>
    <message>
        <source>The downloaded update did not pass its safety check, so it was not installed.</source>
        <translation>The downloaded update did not pass its safety check, so it was not installed.</translation>
    </message>
    <message>
        <source>There was not enough storage to install the update.</source>
        <translation>There was not enough storage to install the update.</translation>
    </message>
    <message>
        <source>The update could not be installed.</source>
        <translation>The update could not be installed.</translation>
    </message>
    <message>
        <source>Version %1 is ready to install.</source>
        <translation>Version %1 is ready to install.</translation>
    </message>
    <message>
        <source>The update was stopped</source>
        <translation>The update was stopped</translation>
    </message>
    <message>
        <source>Nothing was lost. The update goes on where it stopped the next time it runs.</source>
        <translation>Nothing was lost. The update goes on where it stopped the next time it runs.</translation>
    </message>
    <message>
        <source>The update service is not running.</source>
        <translation>The update service is not running.</translation>
    </message>
    <message>
        <source>The update service looks after another device.</source>
        <translation>The update service looks after another device.</translation>
    </message>
    <message>
        <source>The updater is not running</source>
        <translation>The updater is not running</translation>
    </message>
    <message>
        <source>The device starts it again on its own and this screen then shows the update state. If this message stays, restart the device.</source>
        <translation>The device starts it again on its own and this screen then shows the update state. If this message stays, restart the device.</translation>
    </message>
    <message>
        <source>This user account may not change the device&apos;s updates.</source>
        <translation>This user account may not change the device&apos;s updates.</translation>
    </message>
    <message>
        <source>The updater did not take the request.</source>
        <translation>The updater did not take the request.</translation>
    </message>
    <message>
        <source>Downloading %1 (update size %2)</source>
        <extracomment>%1: what is downloaded, %2: the size of the update it becomes (&quot;Downloading 19 MB (update size 1.1 GB)&quot;)</extracomment>
        <translation>Downloading %1 (update size %2)</translation>
    </message>
</context>
</TS>
