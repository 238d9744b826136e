#pragma once

#include <QString>
#include <QTest>

#include <initializer_list>
#include <utility>

// QTest data tables of one column, its rows given as name and value:
//     s16::test::addRows<bool>("consent", {{"consent", true}, {"no consent", false}});
// Header only, so that a test which links nothing else of tests/support can use it.
namespace s16::test {

template <typename T>
void addRows(const char *column, std::initializer_list<std::pair<const char *, T>> rows)
{
    QTest::addColumn<T>(column);
    for (const auto &[name, value] : rows)
        QTest::newRow(name) << value;
}

// A table whose row names are made from the values: addRows<int>("status", "HTTP %d", {408, 429}).
template <typename T>
void addRows(const char *column, const char *nameFormat, std::initializer_list<T> values)
{
    QTest::addColumn<T>(column);
    for (const T &value : values)
        QTest::addRow(nameFormat, value) << value;
}

// The column "backend" with a row for each boot environment the updater drives: "uboot" and "grub".
inline void addBackendRows() { addRows<QString>("backend", {{"uboot", QStringLiteral("uboot")}, {"grub", QStringLiteral("grub")}}); }

} // namespace s16::test
