#include "ini.h"

#include <QStringDecoder>

#include <array>

namespace s16::ini {
namespace {

// What a byte is to the reader, in one table, so a run of plain bytes costs one test per byte.
enum : uchar {
    LineSpace = 0x1,    // space, tab, CR, LF: skipped before a line
    LineSpecial = 0x2,  // CR, LF, '"', ';', '=', '\\': may end a line or change how it goes on
    ValueSpecial = 0x4, // '\\', '"', ',': ends a run of plain text in a value
    NameSpecial = 0x8,  // '%', '\\', and every byte >= 0x80: a name that needs decoding
};
constexpr std::array<uchar, 256> kTraits = [] {
    std::array<uchar, 256> t{};
    for (const char c : {' ', '\t', '\n', '\r'})
        t[uchar(c)] |= LineSpace;
    for (const char c : {'\n', '\r', '"', ';', '=', '\\'})
        t[uchar(c)] |= LineSpecial;
    for (const char c : {'\\', '"', ','})
        t[uchar(c)] |= ValueSpecial;
    for (const char c : {'%', '\\'})
        t[uchar(c)] |= NameSpecial;
    for (int c = 0x80; c < 0x100; ++c)
        t[c] |= NameSpecial;
    return t;
}();

// The first index from i on whose byte has (skipUntil) or lacks (skipWhile) one of traits,
// or the end. Out of line and named in tests/fuzz/coverage-ignorelist.txt: a coverage
// callback per byte of a plain run would cost more than the rest of the reader and teach a
// fuzzer nothing.
[[gnu::noinline]] qsizetype skipUntil(QByteArrayView d, qsizetype i, uchar traits)
{
    while (i < d.size() && !(kTraits[uchar(d[i])] & traits))
        ++i;
    return i;
}
[[gnu::noinline]] qsizetype skipWhile(QByteArrayView d, qsizetype i, uchar traits)
{
    while (i < d.size() && (kTraits[uchar(d[i])] & traits))
        ++i;
    return i;
}

bool isBreak(char c) { return c == '\n' || c == '\r'; }
bool isHexDigit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char16_t hexValue(char c) { return char16_t(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10); }

struct Line {
    qsizetype start = 0;
    qsizetype end = 0;     // exclusive: the line break, the ';' or the end of the text
    qsizetype equals = -1; // the first '=' outside quotes, or -1
};

// The next logical line from pos on, after blanks and comment lines; false at the end.
bool nextLine(QByteArrayView d, qsizetype &pos, Line &line)
{
    const qsizetype n = d.size();
    qsizetype i = pos;
    for (;;) {
        i = skipWhile(d, i, LineSpace);
        if (i < n && (d[i] == ';' || d[i] == '#')) {
            while (i < n && !isBreak(d[i]))
                ++i;
            continue;
        }
        break;
    }
    line = Line{i, i, -1};
    bool quoted = false;
    while ((i = skipUntil(d, i, LineSpecial)) < n) {
        const char c = d[i];
        if (isBreak(c) || c == ';') {
            if (!quoted)
                break;
        } else if (c == '"') {
            quoted = !quoted;
        } else if (c == '=') {
            if (!quoted && line.equals < 0)
                line.equals = i;
        } else if (c == '\\' && i + 1 < n) {
            // the next byte belongs to the escape; a CR LF or LF CR after it is one break
            ++i;
            if (i + 1 < n && isBreak(d[i]) && isBreak(d[i + 1]) && d[i] != d[i + 1])
                ++i;
        }
        ++i;
    }
    line.end = i;
    pos = i;
    return line.end > line.start;
}

// A section or key name: UTF-8, "%XX" and "%UXXXX" decoded, '\' read as '/'. Appends to out.
void appendName(QByteArrayView raw, QString &out)
{
    // ASCII without '%' and '\\', the usual name: as it is
    if (skipUntil(raw, 0, NameSpecial) == raw.size()) {
        out += QLatin1StringView(raw);
        return;
    }
    const QString s = QString::fromUtf8(raw);
    out.reserve(out.size() + s.size());
    qsizetype i = 0;
    while (i < s.size()) {
        const QChar c = s.at(i);
        if (c == u'\\') {
            out += u'/';
            ++i;
            continue;
        }
        if (c == u'%' && i + 1 < s.size()) {
            const bool wide = s.at(i + 1) == u'U';
            const qsizetype first = i + (wide ? 2 : 1);
            const qsizetype digits = wide ? 4 : 2;
            if (first + digits <= s.size()) {
                bool ok = false;
                const ushort code = QStringView(s).sliced(first, digits).toUShort(&ok, 16);
                if (ok) {
                    out += QChar(code);
                    i = first + digits;
                    continue;
                }
            }
        }
        out += c;
        ++i;
    }
}

// Drops the blanks and tabs at the end of text, but none before index keep.
void chopBlanks(QString &text, qsizetype keep)
{
    qsizetype n = text.size();
    while (n > keep && (text.at(n - 1) == u' ' || text.at(n - 1) == u'\t'))
        --n;
    text.truncate(n);
}

// The value after '=': a QString, or a QStringList when an unquoted ',' splits it.
QVariant readValue(QByteArrayView v)
{
    QStringDecoder utf8(QStringDecoder::Utf8);
    QString text = QStringLiteral(""); // an empty value is empty, not null ("present and empty")
    QStringList items;
    bool isList = false;
    bool inQuotes = false;
    bool quoted = false; // the current item had a quoted part: its trailing blanks stay
    qsizetype keep = 0;  // blanks before this index are content (quoted or escaped)
    const qsizetype n = v.size();
    qsizetype i = 0;
    const auto skipBlanks = [&] {
        while (i < n && (v[i] == ' ' || v[i] == '\t'))
            ++i;
        keep = text.size();
    };
    const auto finish = [&](bool chop) -> QVariant {
        if (chop && !quoted)
            chopBlanks(text, keep);
        if (!isList)
            return text;
        items.append(text);
        return items;
    };

    skipBlanks();
    while (i < n) {
        char c = v[i];
        if (c == '\\') {
            if (++i >= n)
                return finish(false); // a backslash at the very end: dropped, blanks kept
            c = v[i++];
            char16_t code = 0;
            bool append = true;
            switch (c) {
            case 'a': code = u'\a'; break;
            case 'b': code = u'\b'; break;
            case 'f': code = u'\f'; break;
            case 'n': code = u'\n'; break;
            case 'r': code = u'\r'; break;
            case 't': code = u'\t'; break;
            case 'v': code = u'\v'; break;
            case '"':
            case '?':
            case '\'':
            case '\\': code = char16_t(c); break;
            case 'x':
                if (i >= n)
                    return finish(false);
                append = isHexDigit(v[i]);
                while (i < n && isHexDigit(v[i]))
                    code = char16_t(code * 16 + hexValue(v[i++]));
                break;
            case '0':
            case '1':
            case '2':
            case '3':
            case '4':
            case '5':
            case '6':
            case '7':
                code = char16_t(c - '0');
                while (i < n && v[i] >= '0' && v[i] <= '7')
                    code = char16_t(code * 8 + (v[i++] - '0'));
                break;
            case '\n':
            case '\r':
                // a continued line: the break (CR LF or LF CR as one) is not part of the value
                if (i < n && isBreak(v[i]) && v[i] != c)
                    ++i;
                append = false;
                break;
            default: append = false; // an unknown escape: both characters are dropped
            }
            if (append)
                text += QChar(code);
            keep = text.size();
            continue;
        }
        if (c == '"') {
            ++i;
            quoted = true;
            inQuotes = !inQuotes;
            if (!inQuotes)
                skipBlanks();
            continue;
        }
        if (c == ',' && !inQuotes) {
            if (!quoted)
                chopBlanks(text, keep);
            isList = true;
            items.append(text);
            text.clear();
            quoted = false;
            ++i;
            skipBlanks();
            continue;
        }
        // a run of plain bytes; a UTF-8 sequence may continue in the next run
        const qsizetype j = skipUntil(v, i + 1, ValueSpecial);
        QString run = utf8(v.sliced(i, j - i));
        if (text.isEmpty()) {
            if (!run.isEmpty())
                text = std::move(run); // the usual value is one run: no copy
        } else {
            text += run;
        }
        i = j;
    }
    return finish(true);
}

qsizetype lineNumber(QByteArrayView d, qsizetype pos)
{
    qsizetype line = 1;
    for (qsizetype i = 0; i < pos && i < d.size(); ++i)
        line += d[i] == '\n';
    return line;
}

} // namespace

std::expected<Document, Problem> parse(QByteArrayView text)
{
    Document doc;
    QString section; // "name/" or empty
    qsizetype pos = text.startsWith("\xEF\xBB\xBF") ? 3 : 0;
    Line line;
    while (nextLine(text, pos, line)) {
        const QByteArrayView content = text.sliced(line.start, line.end - line.start);
        if (content.startsWith('[')) {
            const qsizetype close = content.indexOf(']');
            if (close < 0)
                return std::unexpected(
                    Problem{lineNumber(text, line.start), QStringLiteral("line %1: the section \"%2\" has no closing ']'")
                                                              .arg(lineNumber(text, line.start))
                                                              .arg(QString::fromUtf8(content.trimmed()))});
            const QByteArrayView name = content.sliced(1, close - 1).trimmed();
            section.clear();
            if (name.compare("general", Qt::CaseInsensitive) == 0)
                continue;
            if (name.compare("%general", Qt::CaseInsensitive) == 0)
                section = QString::fromLatin1(name.sliced(1));
            else
                appendName(name, section);
            section += u'/';
            continue;
        }
        if (line.equals < 0)
            continue;
        QString key;
        key.reserve(section.size() + line.equals - line.start);
        key += section;
        appendName(text.sliced(line.start, line.equals - line.start).trimmed(), key);
        doc.m_values.insert(key, readValue(text.sliced(line.equals + 1, line.end - line.equals - 1)));
    }
    return doc;
}

} // namespace s16::ini
