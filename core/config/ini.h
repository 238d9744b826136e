#pragma once

#include <QByteArrayView>
#include <QMap>
#include <QString>
#include <QStringList>
#include <QVariant>

#include <expected>

namespace s16::ini {

// The keys and values of an INI text, read in memory the way QSettings(IniFormat) reads
// a file (Qt 6.4), so that every configuration that loaded through QSettings loads the same:
//
// - Logical lines end at a line break (\n, \r, \r\n) or at a ';' outside double quotes.
//   A line break inside double quotes or after a backslash does not end the line.
// - A line that starts (after blanks) with ';' is a comment to the end of the line; so is
//   one that starts with '#' (QSettings read "#a=b" as the key "#a": the one difference
//   besides the next one). A ';' later on the line ends the value, unless quoted.
// - Values are text. QSettings' typed values (@ByteArray(...), @Variant(...), @Invalid(),
//   "@@") are not decoded: a value starting with '@' is that text.
// - "[name]" starts a section: its keys are "name/key". [General] (any case) holds the
//   keys without a section, as does the text before the first section; [%General] is the
//   section "General". Text after the ']' is ignored. Section and key names are
//   case-sensitive, trimmed, and unescaped: "%XX" and "%UXXXX" (hex) are that character,
//   a backslash is '/'.
// - key=value: the key runs to the first '=' outside double quotes. A line without one
//   is dropped (the physical-line check in core/config/config.cpp refuses most such lines).
// - The value: leading blanks and tabs are skipped, trailing ones dropped unless quoted or
//   escaped. Double quotes group (a quoted part keeps its ',', ';' and blanks; the quotes
//   are removed); an unquoted ',' makes the value a list of trimmed items. Escapes: \a \b
//   \f \n \r \t \v \" \? \' \\, \x followed by hex digits, \ followed by octal digits, a
//   backslash before a line break continues the value on the next line; any other
//   escaped character is dropped.
// - Bytes are UTF-8 (invalid sequences become U+FFFD, as in QSettings); a leading UTF-8
//   byte order mark is skipped. When a key appears twice, the last value wins.
// Why a text is not INI: a "[section" without ']'. line counts from 1.
struct Problem {
    qsizetype line = 0;
    QString message;
};

class Document
{
public:
    [[nodiscard]] bool contains(const QString &key) const { return m_values.contains(key); }
    // A QString, or a QStringList for a value with an unquoted ','; invalid when absent.
    [[nodiscard]] QVariant value(const QString &key) const { return m_values.value(key); }
    // Every key, sorted, as QSettings::allKeys().
    [[nodiscard]] QStringList keys() const { return m_values.keys(); }
    [[nodiscard]] qsizetype size() const { return m_values.size(); }

private:
    friend std::expected<Document, Problem> parse(QByteArrayView text);
    QMap<QString, QVariant> m_values;
};

[[nodiscard]] std::expected<Document, Problem> parse(QByteArrayView text);

} // namespace s16::ini
