#include "semver.h"

#include <QStringBuilder>

#include <limits>

namespace s16 {

namespace {

bool isAsciiDigit(QChar c) noexcept { return c.unicode() >= u'0' && c.unicode() <= u'9'; }

bool isIdentifierChar(QChar c) noexcept
{
    const char16_t u = c.unicode();
    return isAsciiDigit(c) || (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || u == u'-';
}

bool isAllDigits(QStringView s) noexcept
{
    for (QChar c : s) {
        if (!isAsciiDigit(c))
            return false;
    }
    return true;
}

// A SemVer numeric identifier: ASCII digits, no leading zero, fits in quint64.
// QString::toULongLong would accept "+1", " 1" and non-ASCII digits, so this is by hand.
std::optional<quint64> parseNumber(QStringView s)
{
    if (s.isEmpty() || !isAllDigits(s) || (s.size() > 1 && s.front() == u'0'))
        return std::nullopt;
    quint64 value = 0;
    for (QChar c : s) {
        const quint64 digit = c.unicode() - u'0';
        if (value > (std::numeric_limits<quint64>::max() - digit) / 10)
            return std::nullopt;
        value = value * 10 + digit;
    }
    return value;
}

// Dot-separated identifiers, none empty, each of [0-9A-Za-z-].
std::optional<QStringList> parseIdentifiers(QStringView s, bool numericRules)
{
    QStringList out;
    for (QStringView id : s.split(u'.')) {
        if (id.isEmpty())
            return std::nullopt;
        for (QChar c : id) {
            if (!isIdentifierChar(c))
                return std::nullopt;
        }
        if (numericRules && isAllDigits(id) && !parseNumber(id))
            return std::nullopt;
        out.append(id.toString());
    }
    return out;
}

std::strong_ordering compareIdentifier(const QString &a, const QString &b)
{
    const bool aNum = isAllDigits(a);
    const bool bNum = isAllDigits(b);
    if (aNum && bNum) {
        // Both are validated numbers without leading zeros: the longer is the larger.
        if (a.size() != b.size())
            return a.size() <=> b.size();
    } else if (aNum != bNum) {
        return aNum ? std::strong_ordering::less : std::strong_ordering::greater;
    }
    // ASCII only, so comparing UTF-16 code units is comparing ASCII, as SemVer says.
    return QString::compare(a, b, Qt::CaseSensitive) <=> 0;
}

} // namespace

std::optional<SemVer> SemVer::parse(QStringView text)
{
    QStringView rest = text;
    SemVer v;

    if (const qsizetype plus = rest.indexOf(u'+'); plus >= 0) {
        const auto build = parseIdentifiers(rest.sliced(plus + 1), false);
        if (!build)
            return std::nullopt;
        v.m_build = build->join(u'.');
        rest = rest.first(plus);
    }
    if (const qsizetype dash = rest.indexOf(u'-'); dash >= 0) {
        auto pre = parseIdentifiers(rest.sliced(dash + 1), true);
        if (!pre)
            return std::nullopt;
        v.m_preRelease = std::move(*pre);
        rest = rest.first(dash);
    }

    const auto parts = rest.split(u'.');
    if (parts.size() != 3)
        return std::nullopt;
    const auto major = parseNumber(parts[0]);
    const auto minor = parseNumber(parts[1]);
    const auto patch = parseNumber(parts[2]);
    if (!major || !minor || !patch)
        return std::nullopt;
    v.m_major = *major;
    v.m_minor = *minor;
    v.m_patch = *patch;
    return v;
}

QString SemVer::toString() const
{
    QString s = QString::number(m_major) % u'.' % QString::number(m_minor) % u'.' % QString::number(m_patch);
    if (!m_preRelease.isEmpty())
        s += u'-' % m_preRelease.join(u'.');
    if (!m_build.isEmpty())
        s += u'+' % m_build;
    return s;
}

std::strong_ordering operator<=>(const SemVer &a, const SemVer &b)
{
    if (const auto c = a.m_major <=> b.m_major; c != 0)
        return c;
    if (const auto c = a.m_minor <=> b.m_minor; c != 0)
        return c;
    if (const auto c = a.m_patch <=> b.m_patch; c != 0)
        return c;
    // A release ranks above every pre-release of the same version.
    if (a.m_preRelease.isEmpty() || b.m_preRelease.isEmpty())
        return a.m_preRelease.isEmpty() <=> b.m_preRelease.isEmpty();
    const qsizetype common = std::min(a.m_preRelease.size(), b.m_preRelease.size());
    for (qsizetype i = 0; i < common; ++i) {
        if (const auto c = compareIdentifier(a.m_preRelease[i], b.m_preRelease[i]); c != 0)
            return c;
    }
    return a.m_preRelease.size() <=> b.m_preRelease.size();
}

} // namespace s16
