#pragma once

#include <QString>
#include <QStringList>
#include <QStringView>

#include <compare>
#include <optional>

namespace s16 {

// A version as Semantic Versioning 2.0.0 defines it: MAJOR.MINOR.PATCH, an optional
// pre-release after "-" and optional build metadata after "+". Only strict SemVer
// is accepted (no "v" prefix, no leading zeros, no empty identifiers), because the
// version decides whether a device installs an image: a lenient parser would let
// two spellings of one release compare differently. Every number, the numeric
// pre-release identifiers included, must fit in quint64. Comparison is SemVer
// precedence, so build metadata is carried and printed but never ordered:
// 1.0.0+a == 1.0.0+b. A default-constructed SemVer is 0.0.0.
class SemVer
{
public:
    SemVer() = default;
    SemVer(quint64 major, quint64 minor, quint64 patch) noexcept
        : m_major(major)
        , m_minor(minor)
        , m_patch(patch)
    {
    }

    [[nodiscard]] static std::optional<SemVer> parse(QStringView text);
    [[nodiscard]] QString toString() const;

    [[nodiscard]] quint64 major() const noexcept { return m_major; }
    [[nodiscard]] quint64 minor() const noexcept { return m_minor; }
    [[nodiscard]] quint64 patch() const noexcept { return m_patch; }
    // The dot-separated pre-release identifiers ("rc", "1" for 1.0.0-rc.1); empty for a release.
    [[nodiscard]] QStringList preRelease() const { return m_preRelease; }
    // The build metadata after "+" ("exp.sha.5114f85"), empty if none.
    [[nodiscard]] QString build() const { return m_build; }
    [[nodiscard]] bool isPreRelease() const noexcept { return !m_preRelease.isEmpty(); }

    friend std::strong_ordering operator<=>(const SemVer &a, const SemVer &b);
    friend bool operator==(const SemVer &a, const SemVer &b) { return (a <=> b) == 0; }

private:
    quint64 m_major = 0;
    quint64 m_minor = 0;
    quint64 m_patch = 0;
    QStringList m_preRelease;
    QString m_build;
};

} // namespace s16
