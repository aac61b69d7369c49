/// Just enough XML to read S3's answers: the text of named elements, in order, in documents whose
/// elements of one name never nest (true of every S3 response this client reads). Anything it
/// does not find is nil, and the caller treats that as a malformed answer.
struct S3XML {
    private let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The raw content of every `<name>…</name>` (or `<name attr…>…</name>`), in document order.
    func elements(_ name: String) -> [S3XML] {
        var found = [S3XML]()
        var start = 0
        let open = Array("<\(name)".utf8)
        let close = Array("</\(name)>".utf8)
        while let tag = find(open, from: start) {
            let after = tag + open.count
            guard after < bytes.count else { break }
            // `<Key>` or `<Key attr>`, not `<KeyMarker>`; `<Key/>` is an empty element.
            let next = bytes[after]
            if next == UInt8(ascii: "/"), after + 1 < bytes.count, bytes[after + 1] == UInt8(ascii: ">") {
                found.append(S3XML([]))
                start = after + 2
                continue
            }
            guard next == UInt8(ascii: ">") || next == UInt8(ascii: " ") else {
                start = after
                continue
            }
            guard let end = find([UInt8(ascii: ">")], from: after), let closing = find(close, from: end + 1) else { break }
            found.append(S3XML(Array(bytes[(end + 1)..<closing])))
            start = closing + close.count
        }
        return found
    }

    /// The decoded text of the first `<name>` element.
    func text(_ name: String) -> String? {
        elements(name).first.map { $0.decodedText }
    }

    /// This element's content with the five XML entities and numeric references decoded.
    var decodedText: String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "&"), let semicolon = find([UInt8(ascii: ";")], from: index),
                let decoded = Self.entity(Array(bytes[(index + 1)..<semicolon]))
            {
                out += decoded
                index = semicolon + 1
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func entity(_ name: [UInt8]) -> [UInt8]? {
        switch String(decoding: name, as: UTF8.self) {
        case "amp": return [UInt8(ascii: "&")]
        case "lt": return [UInt8(ascii: "<")]
        case "gt": return [UInt8(ascii: ">")]
        case "quot": return [UInt8(ascii: "\"")]
        case "apos": return [UInt8(ascii: "'")]
        case let reference where reference.hasPrefix("#"):
            let digits = reference.dropFirst()
            let value = digits.hasPrefix("x") ? UInt32(digits.dropFirst(), radix: 16) : UInt32(digits, radix: 10)
            guard let value, let scalar = Unicode.Scalar(value) else { return nil }
            return Array(String(Character(scalar)).utf8)
        default:
            return nil
        }
    }

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, start <= bytes.count - needle.count else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}

/// Text for a request body: `&`, `<` and `>` escaped.
func xmlEscaped(_ text: String) -> String {
    var out = ""
    for character in text {
        switch character {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        default: out.append(character)
        }
    }
    return out
}
