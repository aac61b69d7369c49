import Foundation

/// How the pages write numbers, sizes and times: as GitHub's pages do, for people.
enum PageFormat {
    /// `1.5 MB`: decimal units, as docker and GitHub show image sizes.
    static func bytes(_ count: UInt64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB", "PB"]
        var value = Double(count), unit = 0
        while value >= 1000 && unit < units.count - 1 {
            value /= 1000
            unit += 1
        }
        // Only the number goes through a format: a Swift string as a `%@` argument is not safe
        // on Linux's Foundation.
        return unit == 0 ? "\(count) B" : String(format: value < 10 ? "%.1f" : "%.0f", value) + " " + units[unit]
    }

    /// `3 days ago`, `in 5 hours`.
    static func relative(_ time: Int64, now: Int64) -> String {
        let seconds = now - time
        let magnitude = abs(seconds)
        let (amount, unit): (Int64, String) = switch magnitude {
        case ..<60: (0, "")
        case ..<3600: (magnitude / 60, "minute")
        case ..<86_400: (magnitude / 3600, "hour")
        case ..<(86_400 * 45): (magnitude / 86_400, "day")
        case ..<(86_400 * 365): (magnitude / (86_400 * 30), "month")
        default: (magnitude / (86_400 * 365), "year")
        }
        if amount == 0 { return "just now" }
        let phrase = "\(amount) \(unit)\(amount == 1 ? "" : "s")"
        return seconds >= 0 ? phrase + " ago" : "in " + phrase
    }

    /// `2026-12-03 18:24 UTC`.
    static func date(_ time: Int64) -> String {
        var moment = time_t(time)
        var parts = tm()
        gmtime_r(&moment, &parts)
        return String(
            format: "%04d-%02d-%02d %02d:%02d UTC", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
            Int(parts.tm_hour), Int(parts.tm_min))
    }

    /// `1 version`, `12 versions`.
    static func count(_ count: some BinaryInteger, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    /// `sha256:0123456789ab`: enough to tell versions apart in a list.
    static func shortDigest(_ digest: String) -> String {
        guard let colon = digest.firstIndex(of: ":") else { return digest }
        return String(digest[...colon]) + digest[digest.index(after: colon)...].prefix(12)
    }

    /// `7 days`, `12 hours`: a window or an age as a duration.
    static func duration(_ seconds: Int64) -> String {
        seconds % 86_400 == 0 ? count(seconds / 86_400, "day") : count(max(seconds / 3600, 1), "hour")
    }
}
