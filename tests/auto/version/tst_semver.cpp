#include "version/semver.h"
#include "support/datatable.h"

#include <QTest>

using namespace s16;

namespace QTest {
template <>
char *toString(const SemVer &v)
{
    return qstrdup(v.toString().toUtf8().constData());
}
} // namespace QTest

class tst_SemVer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void parseValid_data();
    void parseValid();
    void parseInvalid_data();
    void parseInvalid();
    void ordering_data();
    void ordering();
    void precedenceChainFromTheSpec();
    void buildMetadataIgnoredInOrdering();
    void numericConstructor();
};

void tst_SemVer::parseValid_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<quint64>("major");
    QTest::addColumn<quint64>("minor");
    QTest::addColumn<quint64>("patch");
    QTest::addColumn<QStringList>("pre");
    QTest::addColumn<QString>("build");

    const QStringList none;
    QTest::newRow("plain") << "2.1.0" << quint64(2) << quint64(1) << quint64(0) << none << QString();
    QTest::newRow("zeros") << "0.0.0" << quint64(0) << quint64(0) << quint64(0) << none << QString();
    QTest::newRow("multi-digit") << "10.20.30" << quint64(10) << quint64(20) << quint64(30) << none << QString();
    QTest::newRow("quint64 max") << "18446744073709551615.0.1" << quint64(18446744073709551615ULL) << quint64(0) << quint64(1) << none
                                 << QString();
    QTest::newRow("pre alpha") << "1.0.0-alpha" << quint64(1) << quint64(0) << quint64(0) << QStringList{u"alpha"_qs} << QString();
    QTest::newRow("pre numeric parts") << "1.0.0-0.3.7" << quint64(1) << quint64(0) << quint64(0) << QStringList{u"0"_qs, u"3"_qs, u"7"_qs}
                                       << QString();
    QTest::newRow("pre with hyphens") << "1.0.0-x-y-z.--" << quint64(1) << quint64(0) << quint64(0) << QStringList{u"x-y-z"_qs, u"--"_qs}
                                      << QString();
    QTest::newRow("pre leading zero alnum") << "1.0.0-0a.01b" << quint64(1) << quint64(0) << quint64(0) << QStringList{u"0a"_qs, u"01b"_qs}
                                            << QString();
    QTest::newRow("build") << "1.0.0+20130313144700" << quint64(1) << quint64(0) << quint64(0) << none << u"20130313144700"_qs;
    QTest::newRow("build leading zeros") << "1.0.0+001.exp-1" << quint64(1) << quint64(0) << quint64(0) << none << u"001.exp-1"_qs;
    QTest::newRow("pre and build") << "1.0.0-beta+exp.sha.5114f85" << quint64(1) << quint64(0) << quint64(0) << QStringList{u"beta"_qs}
                                   << u"exp.sha.5114f85"_qs;
    QTest::newRow("hyphen in build") << "1.0.0+a-b" << quint64(1) << quint64(0) << quint64(0) << none << u"a-b"_qs;
}

void tst_SemVer::parseValid()
{
    QFETCH(QString, text);
    QFETCH(quint64, major);
    QFETCH(quint64, minor);
    QFETCH(quint64, patch);
    QFETCH(QStringList, pre);
    QFETCH(QString, build);

    const auto v = SemVer::parse(text);
    QVERIFY(v);
    QCOMPARE(v->major(), major);
    QCOMPARE(v->minor(), minor);
    QCOMPARE(v->patch(), patch);
    QCOMPARE(v->preRelease(), pre);
    QCOMPARE(v->isPreRelease(), !pre.isEmpty());
    QCOMPARE(v->build(), build);
    QCOMPARE(v->toString(), text);
}

void tst_SemVer::parseInvalid_data()
{
    test::addRows<QString>("text", {{"empty", QString()},
                                    {"v prefix", QStringLiteral("v1.0.0")},
                                    {"two parts", QStringLiteral("1.0")},
                                    {"four parts", QStringLiteral("1.0.0.0")},
                                    {"leading zero major", QStringLiteral("01.0.0")},
                                    {"leading zero minor", QStringLiteral("1.00.0")},
                                    {"leading zero patch", QStringLiteral("1.0.01")},
                                    {"leading zero numeric pre", QStringLiteral("1.0.0-01")},
                                    {"empty part", QStringLiteral("1..0")},
                                    {"trailing dot", QStringLiteral("1.0.0.")},
                                    {"empty pre", QStringLiteral("1.0.0-")},
                                    {"empty pre identifier", QStringLiteral("1.0.0-alpha..1")},
                                    {"trailing dot in pre", QStringLiteral("1.0.0-alpha.")},
                                    {"empty build", QStringLiteral("1.0.0+")},
                                    {"empty build identifier", QStringLiteral("1.0.0+a..b")},
                                    {"plus in build", QStringLiteral("1.0.0+a+b")},
                                    {"underscore in pre", QStringLiteral("1.0.0-alpha_1")},
                                    {"non-ascii in pre", QStringLiteral("1.0.0-\u00e4")},
                                    {"non-ascii digit", QStringLiteral("1.0.\u0663")},
                                    {"space", QStringLiteral("1.0.0 ")},
                                    {"leading space", QStringLiteral(" 1.0.0")},
                                    {"sign", QStringLiteral("+1.0.0")},
                                    {"negative", QStringLiteral("-1.0.0")},
                                    {"letters in core", QStringLiteral("1.0.x")},
                                    {"major overflow", QStringLiteral("18446744073709551616.0.0")},
                                    {"patch overflow", QStringLiteral("1.0.99999999999999999999")},
                                    {"numeric pre overflow", QStringLiteral("1.0.0-18446744073709551616")},
                                    {"dash before core end", QStringLiteral("1.0-rc.1")},
                                    {"nul", QString::fromUtf16(u"1.0.0\0", 6)}});
}

void tst_SemVer::parseInvalid()
{
    QFETCH(QString, text);
    QVERIFY2(!SemVer::parse(text), qPrintable(text));
}

void tst_SemVer::ordering_data()
{
    QTest::addColumn<QString>("lower");
    QTest::addColumn<QString>("higher");
    QTest::newRow("major") << "1.9.9"
                           << "2.0.0";
    QTest::newRow("minor") << "2.0.0"
                           << "2.1.0";
    QTest::newRow("patch") << "2.1.0"
                           << "2.1.1";
    QTest::newRow("numeric not lexical") << "1.9.0"
                                         << "1.10.0";
    QTest::newRow("pre below release") << "1.0.0-rc.1"
                                       << "1.0.0";
    QTest::newRow("numeric below alnum") << "1.0.0-1"
                                         << "1.0.0-a";
    QTest::newRow("numeric identifiers numerically") << "1.0.0-beta.2"
                                                     << "1.0.0-beta.11";
    QTest::newRow("ascii order uppercase first") << "1.0.0-Z"
                                                 << "1.0.0-a";
    QTest::newRow("more identifiers higher") << "1.0.0-alpha"
                                             << "1.0.0-alpha.1";
    QTest::newRow("huge numeric identifiers") << "1.0.0-9999999999999999999"
                                              << "1.0.0-18446744073709551615";
    QTest::newRow("huge major") << "18446744073709551614.0.0"
                                << "18446744073709551615.0.0";
    QTest::newRow("pre of higher patch") << "1.0.0"
                                         << "1.0.1-alpha";
}

void tst_SemVer::ordering()
{
    QFETCH(QString, lower);
    QFETCH(QString, higher);
    const auto a = SemVer::parse(lower);
    const auto b = SemVer::parse(higher);
    QVERIFY(a);
    QVERIFY(b);
    QVERIFY((*a <=> *b) == std::strong_ordering::less);
    QVERIFY((*b <=> *a) == std::strong_ordering::greater);
    QVERIFY(*a < *b);
    QVERIFY(!(*a == *b));
    QVERIFY(*a == *a);
}

void tst_SemVer::precedenceChainFromTheSpec()
{
    const QStringList chain = {u"1.0.0-alpha"_qs,  u"1.0.0-alpha.1"_qs, u"1.0.0-alpha.beta"_qs, u"1.0.0-beta"_qs,
                               u"1.0.0-beta.2"_qs, u"1.0.0-beta.11"_qs, u"1.0.0-rc.1"_qs,       u"1.0.0"_qs};
    QList<SemVer> versions;
    for (const QString &s : chain) {
        const auto v = SemVer::parse(s);
        QVERIFY2(v, qPrintable(s));
        versions.append(*v);
    }
    // Every pair, not only neighbours: precedence must be transitive.
    for (qsizetype i = 0; i < versions.size(); ++i) {
        for (qsizetype j = 0; j < versions.size(); ++j) {
            QVERIFY2((versions[i] <=> versions[j]) == (i <=> j), qPrintable(chain[i] + u" vs "_qs + chain[j]));
        }
    }
}

void tst_SemVer::buildMetadataIgnoredInOrdering()
{
    const auto a = SemVer::parse(u"1.0.0+a");
    const auto b = SemVer::parse(u"1.0.0+b");
    const auto plain = SemVer::parse(u"1.0.0");
    QVERIFY(a && b && plain);
    QCOMPARE(*a, *b);
    QCOMPARE(*a, *plain);
    QVERIFY((*a <=> *b) == std::strong_ordering::equal);
    // Ignored for ordering, but not lost.
    QCOMPARE(a->build(), u"a"_qs);
    QCOMPARE(b->toString(), u"1.0.0+b"_qs);
    const auto preA = SemVer::parse(u"1.0.0-rc.1+x");
    QVERIFY(preA);
    QVERIFY(*preA < *a);
}

void tst_SemVer::numericConstructor()
{
    const SemVer v(3, 4, 5);
    QCOMPARE(v.toString(), u"3.4.5"_qs);
    QCOMPARE(v, *SemVer::parse(u"3.4.5"));
    QCOMPARE(SemVer().toString(), u"0.0.0"_qs);
}

QTEST_GUILESS_MAIN(tst_SemVer)
#include "tst_semver.moc"
