/// The byte ranges of the upload protocol: `Range: 0-<last>` in answers, `Content-Range:
/// <start>-<end>` on chunks. Ranges are inclusive; an empty upload reports `0-0` as distribution
/// does, since the header cannot express an empty range.
enum UploadRange {
    static func header(offset: UInt64) -> String {
        "0-\(offset == 0 ? 0 : offset - 1)"
    }

    /// The bytes a chunk's `Content-Range` claims, as Docker (`0-1023`) and some clients
    /// (`bytes 0-1023/*`) send it, made half-open (`0..<1024`); nil if unparseable. A range
    /// ending at the last UInt64 is refused too: its end could not be counted to.
    static func chunk(_ value: String) -> Range<UInt64>? {
        var text = Substring(value)
        if text.hasPrefix("bytes ") { text = text.dropFirst(6) } else if text.hasPrefix("bytes=") { text = text.dropFirst(6) }
        if let slash = text.firstIndex(of: "/") { text = text[..<slash] }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = UInt64(parts[0]), let end = UInt64(parts[1]), end >= start, end < .max else { return nil }
        return start..<(end + 1)
    }
}

/// A single byte range from a blob GET's `Range` header.
enum ByteRange {
    enum Outcome: Equatable {
        case whole
        case partial(Range<UInt64>)
        case unsatisfiable
    }

    /// The Range header if it counts. RFC 9110 §13.1.5: with an If-Range, only if its validator
    /// is a strong match of the current ETag; the client holds another version otherwise, and
    /// gets the whole. A blob has no Last-Modified, so a date never matches, nor does a weak tag.
    static func honoured(_ range: String?, ifRange: String?, eTag: String) -> String? {
        guard let ifRange else { return range }
        return Substring(ifRange).trimmingWhitespace == eTag ? range : nil
    }

    /// `bytes=a-b`, `bytes=a-` or `bytes=-n` against a blob of `size` bytes. Several ranges, or
    /// a header that is not a byte range, are answered with the whole blob, as RFC 9110 allows.
    static func parse(_ header: String?, size: UInt64) -> Outcome {
        guard let header, header.hasPrefix("bytes="), !header.contains(",") else { return .whole }
        let parts = header.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return .whole }
        switch (UInt64(parts[0].trimmingWhitespace), UInt64(parts[1].trimmingWhitespace)) {
        case (let start?, let end?):
            guard start <= end else { return .whole }
            guard start < size else { return .unsatisfiable }
            return .partial(start..<(Swift.min(end, size - 1) + 1))
        case (let start?, nil) where parts[1].isEmpty:
            guard start < size else { return .unsatisfiable }
            return .partial(start..<size)
        case (nil, let suffix?) where parts[0].isEmpty:
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .partial((size - Swift.min(suffix, size))..<size)
        default:
            return .whole
        }
    }
}

extension Substring {
    /// Without the blanks HTTP allows around a value (spaces and tabs).
    var trimmingWhitespace: Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}
