// The INI reader of the configuration (core/config/ini.h): its edge cases, and that it reads
// every text as QSettings(IniFormat) reads the same bytes from a file, apart from the two
// differences ini.h names ('#' comment lines, no @-types).

#include "config/config.h"
#include "config/ini.h"

#include <QFile>
#include <QRandomGenerator>
#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace s16;

namespace {

using Map = QMap<QString, QVariant>;

// A key that is empty, starts or ends with '/' or holds "//" (an empty name) QSettings lists but
// cannot look up (it normalises the key it is asked for): its value is left out of the
// comparisons (the updater never asks for one; both readers warn about it as unknown).
bool lookable(const QString &key)
{
    return !key.isEmpty() && !key.startsWith(u'/') && !key.endsWith(u'/') && !key.contains(QStringLiteral("//"));
}

Map readerMap(const ini::Document &doc)
{
    Map m;
    for (const QString &key : doc.keys())
        m.insert(key, lookable(key) ? doc.value(key) : QVariant());
    return m;
}

QString show(const Map &m)
{
    QStringList out;
    for (auto it = m.cbegin(); it != m.cend(); ++it) {
        const QString value = it.value().typeId() == QMetaType::QStringList
                                  ? QStringLiteral("[") + it.value().toStringList().join(QStringLiteral("|")) + QStringLiteral("]")
                                  : QStringLiteral("'") + it.value().toString() + QStringLiteral("'");
        out << it.key() + QStringLiteral("=") + value;
    }
    return out.join(QStringLiteral("; "));
}

} // namespace

class tst_Ini : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void reads_data();
    void reads();
    void unclosedSection();
    void emptyValueIsNotNull();
    void differences();
    void sameAsQSettings_data();
    void sameAsQSettings();
    void sameAsQSettingsOnGeneratedTexts();
    void loadConfigFromTextNeedsNoFile();

private:
    // The keys and values QSettings reads from the bytes; nullopt when it reports a FormatError.
    std::optional<Map> qsettingsMap(const QByteArray &text);

    QTemporaryDir m_dir;
    int m_files = 0;
};

void tst_Ini::initTestCase() { QVERIFY(m_dir.isValid()); }

std::optional<Map> tst_Ini::qsettingsMap(const QByteArray &text)
{
    // a new name per text: QSettings caches a file by name and time stamp
    const QString path = m_dir.filePath(QStringLiteral("t%1.ini").arg(m_files++));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(text) != text.size())
        qFatal("cannot write %s", qPrintable(path));
    f.close();
    const QSettings settings(path, QSettings::IniFormat);
    if (settings.status() != QSettings::NoError)
        return std::nullopt;
    Map m;
    for (const QString &key : settings.allKeys())
        m.insert(key, lookable(key) ? settings.value(key) : QVariant());
    return m;
}

void tst_Ini::reads_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("expected"); // show() of the map

    QTest::newRow("empty") << QByteArray() << QString();
    QTest::newRow("section and key") << QByteArray("[server]\nurl=https://h/\n") << QStringLiteral("server/url='https://h/'");
    QTest::newRow("no final newline") << QByteArray("[a]\nk=v") << QStringLiteral("a/k='v'");
    QTest::newRow("CR LF") << QByteArray("[a]\r\nk=v\r\nl=w\r\n") << QStringLiteral("a/k='v'; a/l='w'");
    QTest::newRow("lone CR") << QByteArray("[a]\rk=v\rl=w") << QStringLiteral("a/k='v'; a/l='w'");
    QTest::newRow("blanks around key and value") << QByteArray("[a]\n  k \t=  v  w \t\n") << QStringLiteral("a/k='v  w'");
    QTest::newRow("blanks in the section name") << QByteArray("[ a ]\nk=v\n") << QStringLiteral("a/k='v'");
    QTest::newRow("comment lines") << QByteArray("; one\n[a]\n  ; two\nk=v\n# three\n") << QStringLiteral("a/k='v'");
    QTest::newRow("comment after a value") << QByteArray("[a]\nk=5 ; five\n") << QStringLiteral("a/k='5'");
    QTest::newRow("comment after a section") << QByteArray("[a] ; the a\nk=v\n") << QStringLiteral("a/k='v'");
    QTest::newRow("'#' after a value is text") << QByteArray("[a]\nk=v # not a comment\n") << QStringLiteral("a/k='v # not a comment'");
    QTest::newRow("quoted ';' stays") << QByteArray("[a]\nk=\"sha256//A;sha256//B\"\n") << QStringLiteral("a/k='sha256//A;sha256//B'");
    QTest::newRow("quoted ',' stays") << QByteArray("[a]\nk=\"restart a,b\"\n") << QStringLiteral("a/k='restart a,b'");
    QTest::newRow("quoted blanks stay") << QByteArray("[a]\nk=\"  v  \"\n") << QStringLiteral("a/k='  v  '");
    QTest::newRow("quotes in the middle") << QByteArray("[a]\nk=x\"a;b\"y\n") << QStringLiteral("a/k='xa;by'");
    QTest::newRow("unquoted ',' is a list") << QByteArray("[a]\nk=x, y ,z\n") << QStringLiteral("a/k=[x|y|z]");
    QTest::newRow("list of quoted items") << QByteArray("[a]\nk=\"x,1\", \"y\"\n") << QStringLiteral("a/k=[x,1|y]");
    QTest::newRow("empty value") << QByteArray("[a]\nk=\n") << QStringLiteral("a/k=''");
    QTest::newRow("'=' in the value") << QByteArray("[a]\nk=a=b\n") << QStringLiteral("a/k='a=b'");
    QTest::newRow("escapes") << QByteArray("[a]\nk=\\t\\\\\\\"\\x41\\101\\q\n") << QStringLiteral("a/k='\t\\\"AA'");
    QTest::newRow("escaped blank at the end stays") << QByteArray("[a]\nk=v\\x20 \n") << QStringLiteral("a/k='v '");
    QTest::newRow("backslash continues the line") << QByteArray("[a]\nk=one \\\n two\n") << QStringLiteral("a/k='one  two'");
    QTest::newRow("duplicate key: the last wins") << QByteArray("[a]\nk=1\nk=2\n") << QStringLiteral("a/k='2'");
    QTest::newRow("duplicate section merges") << QByteArray("[a]\nk=1\n[b]\nk=2\n[a]\nl=3\n")
                                              << QStringLiteral("a/k='1'; a/l='3'; b/k='2'");
    QTest::newRow("key outside a section") << QByteArray("k=1\n[a]\nk=2\n") << QStringLiteral("a/k='2'; k='1'");
    QTest::newRow("[General] holds top-level keys") << QByteArray("[General]\nk=1\n") << QStringLiteral("k='1'");
    QTest::newRow("[%General] is a section") << QByteArray("[%General]\nk=1\n") << QStringLiteral("General/k='1'");
    QTest::newRow("names are case-sensitive") << QByteArray("[A]\nK=1\n[a]\nk=2\n") << QStringLiteral("A/K='1'; a/k='2'");
    QTest::newRow("percent-encoded names") << QByteArray("[s%65rver]\nur%6C=x\n") << QStringLiteral("server/url='x'");
    QTest::newRow("backslash in a name is '/'") << QByteArray("[a]\nb\\c=x\n") << QStringLiteral("a/b/c='x'");
    QTest::newRow("UTF-8") << QByteArray("[a]\nk=Gr\xc3\xbc\xc3\x9f"
                                         "e\n")
                           << QString::fromUtf8("a/k='Grüße'");
    QTest::newRow("byte order mark") << QByteArray("\xef\xbb\xbf[a]\nk=v\n") << QStringLiteral("a/k='v'");
    QTest::newRow("line without '=' is dropped") << QByteArray("[a]\nstray\nk=v\n") << QStringLiteral("a/k='v'");
    QTest::newRow("text after ']' is ignored") << QByteArray("[a] k=v\nl=w\n") << QStringLiteral("a/l='w'");
}

void tst_Ini::reads()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, expected);
    const auto doc = ini::parse(text);
    QVERIFY(doc);
    QCOMPARE(show(readerMap(*doc)), expected);
}

void tst_Ini::unclosedSection()
{
    const auto doc = ini::parse("; a file\n[server]\nurl=x\n[boot\nbackend=uboot\n");
    QVERIFY(!doc);
    QCOMPARE(doc.error().line, 4);
    QVERIFY2(doc.error().message.contains(QStringLiteral("[boot")), qPrintable(doc.error().message));
}

// "Present and empty" differs from absent (boot/rebootCommand): an empty value is not null.
void tst_Ini::emptyValueIsNotNull()
{
    const auto doc = ini::parse("[boot]\nrebootCommand=\n");
    QVERIFY(doc && doc->contains(QStringLiteral("boot/rebootCommand")));
    QVERIFY(!doc->value(QStringLiteral("boot/rebootCommand")).toString().isNull());
    QVERIFY(doc->value(QStringLiteral("boot/rebootCommand")).toString().isEmpty());
    QVERIFY(!doc->contains(QStringLiteral("boot/other")));
}

// What the reader does on purpose unlike QSettings (ini.h).
void tst_Ini::differences()
{
    // '#' starts a comment line; QSettings made "#k" a key (and a quote in it ran on)
    const QByteArray hash("[a]\n#k=v\n# it's \"quoted\nl=w\n");
    QCOMPARE(show(readerMap(*ini::parse(hash))), QStringLiteral("a/l='w'"));
    QCOMPARE(qsettingsMap(hash)->value(QStringLiteral("a/#k")).toString(), QStringLiteral("v"));
    // values are text: QSettings decoded @ByteArray(...) and dropped one '@' of "@@"
    const QByteArray at("[a]\nk=@ByteArray(x)\nl=@@y\n");
    QCOMPARE(show(readerMap(*ini::parse(at))), QStringLiteral("a/k='@ByteArray(x)'; a/l='@@y'"));
    QCOMPARE(qsettingsMap(at)->value(QStringLiteral("a/l")).toString(), QStringLiteral("@y"));
}

// Every row of reads(), and texts chosen for the corners, read as QSettings reads them.
void tst_Ini::sameAsQSettings_data()
{
    reads_data();
    auto row = [](const char *name, const QByteArray &text) { QTest::newRow(name) << text << QString(); };
    row("quote runs over lines", "[a]\nk=\"x\ny=z\"\nl=w\n");
    row("unclosed quote at the end", "[a]\nk=\"x y  ");
    row("backslash at the end", "[a]\nk=x  \\");
    row("\\x at the end", "[a]\nk=x  \\x");
    row("\\x without digits", "[a]\nk=\\xg  ");
    row("octal escapes run on", "[a]\nk=\\1234567 \\0");
    row("hex escapes run on", "[a]\nk=\\x1234567 \\xFfFf");
    row("escaped CR LF", "[a]\nk=a\\\r\nb\r\n");
    row("escaped LF CR", "[a]\nk=a\\\n\rb\n");
    row("quoted then plain", "[a]\nk=\"a\"  b  ,  c  \n");
    row("empty list items", "[a]\nk=,,\n");
    row("'=' in quotes in the key", "[a]\n\"k=x\"=v\n");
    row("no '=' outside quotes", "[a]\nk\"=\"v\n");
    row("section with a quote", "[a\"b]\nk=v\n");
    row("invalid UTF-8", "[a]\nk=\xff\xfe v \xc3\n");
    row("UTF-8 cut by an escape", "[a]\nk=\xc3\\n\xa9\n");
    row("BOM inside a value", "[a]\nk=\xef\xbb\xbfv\n");
    row("percent escapes at the end", "[a]\nk%=1\nk%4=2\nk%U12=3\nk%zz=4\n");
    row("empty key", "[a]\n=v\n=\n");
    row("NUL bytes", QByteArray("[a]\nk=x\0y\n", 10));
    row("unclosed section", "[a\nk=v\n");
    row("tabs and vertical tabs", "[a]\n\tk\v=\v v \t\n");
}

void tst_Ini::sameAsQSettings()
{
    QFETCH(QByteArray, text);
    const auto doc = ini::parse(text);
    const auto expected = qsettingsMap(text);
    QCOMPARE(bool(doc), expected.has_value());
    if (doc)
        QCOMPARE(show(readerMap(*doc)), show(*expected));
}

// Random texts over the characters that matter to both readers: the same keys and values,
// or both refuse (S16_INI_TEXTS=30000 S16_INI_SEED=n for a longer run). Not '#' nor '@'
// (the two differences), nor '/' and '\' in names (QSettings
// then parses sections lazily, in an order that depends on the lookups).
void tst_Ini::sameAsQSettingsOnGeneratedTexts()
{
    static const char *const pieces[] = {
        "[",    "]",   "[a]",    "[b]",      "[General]", "\n",  "\r\n",    "\r",   " ",       "\t",   "=",
        ";",    "\"",  ",",      "k",        "l",         "v",   "x1",      "\\",   "\\n",     "\\x4", "\\101",
        "\\\n", "%41", "%U00e9", "\xc3\xa9", "\xff",      "k=v", "\n[a]\n", "\nk=", "\"a,b\"",
    };
    const int kTexts = qEnvironmentVariableIntValue("S16_INI_TEXTS") ? qEnvironmentVariableIntValue("S16_INI_TEXTS") : 3000;
    QRandomGenerator random(quint32(qEnvironmentVariableIntValue("S16_INI_SEED") + 16));
    int compared = 0;
    for (int t = 0; t < kTexts; ++t) {
        QByteArray text;
        const int n = random.bounded(1, 24);
        for (int i = 0; i < n; ++i)
            text += pieces[random.bounded(int(std::size(pieces)))];
        const auto expected = qsettingsMap(text);
        // a name with '/' (from a '\\'): the same key may then come from two sections
        if (expected && std::any_of(expected->keyBegin(), expected->keyEnd(), [](const QString &k) { return k.count(u'/') > 1; }))
            continue;
        const auto doc = ini::parse(text);
        QVERIFY2(bool(doc) == expected.has_value(), text.toPercentEncoding().constData());
        if (doc)
            QVERIFY2(show(readerMap(*doc)) == show(*expected),
                     qPrintable(QString::fromLatin1(text.toPercentEncoding()) + QStringLiteral("\n reader:    ") + show(readerMap(*doc))
                                + QStringLiteral("\n QSettings: ") + show(*expected)));
        ++compared;
    }
    QVERIFY2(compared > kTexts / 2, qPrintable(QString::number(compared)));
}

// The entry point the fuzzer uses reads nothing but the files the configuration names.
void tst_Ini::loadConfigFromTextNeedsNoFile()
{
    const QString dir = m_dir.path();
    QFile key(m_dir.filePath(QStringLiteral("signing.pub")));
    QVERIFY(key.open(QIODevice::WriteOnly));
    key.close();
    const QByteArray text = "[server]\nurl=https://h/r ; the repository\n[trust]\npublicKeys=signing.pub\n"
                            "[device]\nversionFile=version\nstateDir=state\nupdateDir=update\n"
                            "[boot]\nbackend=uboot\nenvFile=fw_env.config\nslotA=a.img\nslotB=b.img\n"
                            "[services]\nreload=\"systemctl restart a,b\"\n";
    const QString path = m_dir.filePath(QStringLiteral("never-written.conf"));
    const auto c = loadConfigFromText(text, path);
    QVERIFY2(c, c ? "" : qPrintable(c.error().message));
    QVERIFY(!QFile::exists(path));
    QCOMPARE(c->filePath, path);
    QCOMPARE(c->server.url, QUrl(QStringLiteral("https://h/r/")));
    QCOMPARE(c->trust.publicKeys, QStringList{dir + QStringLiteral("/signing.pub")});
    QCOMPARE(c->device.stateDir, dir + QStringLiteral("/state"));
    QCOMPARE(c->services.reload, QStringLiteral("systemctl restart a,b"));

    const auto bad = loadConfigFromText("[server\nurl=https://h/\n", path);
    QVERIFY(!bad);
    QCOMPARE(bad.error().code, ConfigError::SyntaxError);
    QCOMPARE(bad.error().file, path);
    QVERIFY(bad.error().message.contains(path));
}

QTEST_GUILESS_MAIN(tst_Ini)
#include "tst_ini.moc"
