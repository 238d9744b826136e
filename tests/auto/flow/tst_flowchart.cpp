#include "flow/flowchart.h"
#include "flow/flowmachine.h"

#include <QFile>
#include <QRegularExpression>
#include <QTest>

#include <algorithm>

using namespace s16;

// The edge table is the single source of the chart's order of steps; these tests
// hold it against docs/spec/edges.md, the chart's numbering that the docs and tests use.
class tst_Flowchart : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void tableMatchesSeedEdges();
    void names_data();
    void names();
    void takeFollowsOnlyExistingEdges_data();
    void takeFollowsOnlyExistingEdges();
    void persistFailureKeepsState();
    void restartOnlyFromRestingNode();
    void jumpsAreNamedAndNoEdges();
    void jumpOnlyFromItsNodes_data();
    void jumpOnlyFromItsNodes();
    void onlineResumePoints_data();
    void onlineResumePoints();
};

static QString lowerFirst(QString s)
{
    if (!s.isEmpty())
        s[0] = s[0].toLower();
    return s;
}

void tst_Flowchart::tableMatchesSeedEdges()
{
    QFile f(QStringLiteral(S16_SOURCE_DIR "/docs/spec/edges.md"));
    QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName() + QStringLiteral(": ") + f.errorString()));
    // | E01 | nSystem | | connectRepo | meaning |
    static const QRegularExpression row(QStringLiteral(R"(^\|\s*(E\d\d)\s*\|\s*(\w+)\s*\|\s*(\w*)\s*\|\s*(\w+)\s*\|)"));
    int seen = 0;
    for (const QByteArray &line : f.readAll().split('\n')) {
        const auto m = row.match(QString::fromUtf8(line));
        if (!m.hasMatch())
            continue;
        const auto edge = edgeFromName(m.captured(1));
        QVERIFY2(edge, qPrintable(m.captured(1)));
        const EdgeInfo &info = edgeInfo(*edge);
        QString from = m.captured(2);
        if (from == QStringLiteral("nSystem"))
            from = QStringLiteral("normalSystem");
        QCOMPARE(lowerFirst(nodeName(info.from)).toLower(), from.toLower());
        QCOMPARE(lowerFirst(nodeName(info.to)).toLower(), m.captured(4).toLower());
        QCOMPARE(QString::fromLatin1(info.branch), m.captured(3));
        ++seen;
    }
    QCOMPARE(seen, kEdgeCount);
}

void tst_Flowchart::names_data()
{
    QTest::addColumn<int>("edge");
    QTest::addColumn<QString>("name");
    QTest::newRow("first") << 1 << QStringLiteral("E01");
    QTest::newRow("E38") << 38 << QStringLiteral("E38");
    QTest::newRow("last") << 65 << QStringLiteral("E65");
}

void tst_Flowchart::names()
{
    QFETCH(int, edge);
    QFETCH(QString, name);
    QCOMPARE(edgeName(Edge(edge)), name);
    QCOMPARE(edgeFromName(name), std::optional<Edge>(Edge(edge)));
    QVERIFY(!edgeFromName(QStringLiteral("E66")));
    QVERIFY(!edgeFromName(QStringLiteral("E00")));
    for (int i = 0; i < kNodeCount; ++i)
        QCOMPARE(nodeFromName(nodeName(Node(i))), std::optional<Node>(Node(i)));
}

void tst_Flowchart::takeFollowsOnlyExistingEdges_data()
{
    QTest::addColumn<int>("start");
    QTest::addColumn<int>("edge");
    QTest::addColumn<bool>("allowed");
    QTest::addColumn<int>("end");
    QTest::newRow("E01 from NormalSystem") << int(Node::NormalSystem) << 1 << true << int(Node::ConnectRepo);
    QTest::newRow("E03 needs SuccessConnect") << int(Node::ConnectRepo) << 3 << false << int(Node::ConnectRepo);
    QTest::newRow("E38 from ChecksumEqual") << int(Node::ChecksumEqual) << 38 << true << int(Node::ErrorLog);
    QTest::newRow("E37 not from CheckChecksum") << int(Node::CheckChecksum) << 37 << false << int(Node::CheckChecksum);
    QTest::newRow("E43 from PrioUpdate") << int(Node::PrioUpdate) << 43 << true << int(Node::Reboot);
    QTest::newRow("E42 not from PrioUpdate") << int(Node::PrioUpdate) << 42 << false << int(Node::PrioUpdate);
    QTest::newRow("E63 from MigrationMade") << int(Node::MigrationMade) << 63 << true << int(Node::RevertMigration);
}

void tst_Flowchart::takeFollowsOnlyExistingEdges()
{
    QFETCH(int, start);
    QFETCH(int, edge);
    QFETCH(bool, allowed);
    QFETCH(int, end);
    QList<Node> persisted;
    FlowMachine flow(Node(start), [&](Node n, Edge) -> Status {
        persisted.append(n);
        return {};
    });
    const auto r = flow.take(Edge(edge));
    QCOMPARE(bool(r), allowed);
    QCOMPARE(flow.current(), Node(end));
    QCOMPARE(persisted.size(), allowed ? 1 : 0);
    QCOMPARE(flow.path().size(), allowed ? 1 : 0);
}

void tst_Flowchart::persistFailureKeepsState()
{
    FlowMachine flow(Node::NormalSystem, [](Node, Edge) -> Status { return fail(ExitCode::StorageError, QStringLiteral("disk full")); });
    const auto r = flow.take(Edge::E01);
    QVERIFY(!r);
    QCOMPARE(r.error().code, ExitCode::StorageError);
    QCOMPARE(flow.current(), Node::NormalSystem);
}

void tst_Flowchart::restartOnlyFromRestingNode()
{
    FlowMachine busy(Node::ReceiveFile);
    QVERIFY(!busy.restart());
    QCOMPARE(busy.current(), Node::ReceiveFile);
    FlowMachine resting(Node::WaitForImage);
    QVERIFY(resting.restart());
    QCOMPARE(resting.current(), Node::NormalSystem);
}

// Each jump is listed at its own index, named once, and is no edge of the chart: where the
// chart has the arrow, the code must take() it.
void tst_Flowchart::jumpsAreNamedAndNoEdges()
{
    QStringList names;
    for (size_t i = 0; i < allJumps().size(); ++i) {
        const JumpInfo &info = allJumps()[i];
        QCOMPARE(int(info.id), int(i));
        QCOMPARE(&jumpInfo(info.id), &info);
        QVERIFY(!names.contains(QLatin1StringView(info.name)));
        names.append(QLatin1StringView(info.name));
        for (Node from : info.from) {
            for (const EdgeInfo &edge : allEdges())
                QVERIFY2(!(edge.from == from && edge.to == info.to), info.name);
        }
    }
    QCOMPARE(names, (QStringList{QStringLiteral("StorageFailed"), QStringLiteral("NextFile"), QStringLiteral("AlreadyStaged"),
                                 QStringLiteral("InstallStaged"), QStringLiteral("RebootRequestFailed")}));
}

void tst_Flowchart::jumpOnlyFromItsNodes_data()
{
    QTest::addColumn<int>("jump");
    QTest::addColumn<int>("from");
    QTest::addColumn<bool>("allowed");
    for (const JumpInfo &info : allJumps()) {
        for (int n = 0; n < kNodeCount; ++n) {
            const bool listed = info.from.empty() || std::find(info.from.begin(), info.from.end(), Node(n)) != info.from.end();
            QTest::addRow("%s from %s", info.name, qPrintable(nodeName(Node(n)))) << int(info.id) << n << listed;
        }
    }
}

// A jump moves only from its nodes, records nothing and enters no path.
void tst_Flowchart::jumpOnlyFromItsNodes()
{
    QFETCH(int, jump);
    QFETCH(int, from);
    QFETCH(bool, allowed);
    int persisted = 0;
    FlowMachine flow(Node(from), [&](Node, Edge) -> Status {
        ++persisted;
        return {};
    });
    const Status moved = flow.jump(Jump(jump));
    QCOMPARE(bool(moved), allowed);
    QCOMPARE(flow.current(), allowed ? jumpInfo(Jump(jump)).to : Node(from));
    if (!allowed)
        QCOMPARE(moved.error().code, ExitCode::Usage);
    QCOMPARE(persisted, 0);
    QVERIFY(flow.path().isEmpty());
}

void tst_Flowchart::onlineResumePoints_data()
{
    QTest::addColumn<int>("recorded"); // -1: nothing recorded
    QTest::addColumn<int>("resume");
    QTest::addColumn<int>("next");
    const auto row = [](const char *name, int recorded, Node resume, Edge next) {
        QTest::newRow(name) << recorded << int(resume) << int(next);
    };
    row("nothing recorded", -1, Node::NormalSystem, Edge::E01);
    row("waiting for the next check", int(Node::WaitForImage), Node::WaitForImage, Edge::E20);
    row("cut while connecting", int(Node::ConnectRepo), Node::NormalSystem, Edge::E01);
    row("cut while receiving", int(Node::ReceiveFile), Node::NormalSystem, Edge::E01);
    row("cut while staging", int(Node::MoveFile), Node::NormalSystem, Edge::E01);
    row("waiting for the user", int(Node::WaitForUser), Node::NormalSystem, Edge::E01);
    row("reboot not requested", int(Node::Reboot), Node::NormalSystem, Edge::E01);
    row("after an error", int(Node::Consent), Node::NormalSystem, Edge::E01);
    row("after an install", int(Node::EndSuccess), Node::NormalSystem, Edge::E01);
}

// Where the online part picks a cycle up after a restart, and that the chart goes on from there.
void tst_Flowchart::onlineResumePoints()
{
    QFETCH(int, recorded);
    QFETCH(int, resume);
    QFETCH(int, next);
    const std::optional<Node> node = recorded < 0 ? std::nullopt : std::optional(Node(recorded));
    QCOMPARE(onlineResumeNode(node), Node(resume));
    FlowMachine flow;
    flow.resumeAt(onlineResumeNode(node));
    QVERIFY(flow.take(Edge(next)));
    QCOMPARE(flow.current(), Node::ConnectRepo);
}

QTEST_GUILESS_MAIN(tst_Flowchart)
#include "tst_flowchart.moc"
