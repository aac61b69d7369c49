/// Refuses JSON that other readers could understand differently from the registry.
///
/// A registry stores a manifest exactly as pushed and serves those bytes to every client, so the
/// document the registry checked must be the document each client reads. RFC 8259 leaves some
/// things to the reader, and readers disagree: Foundation's JSONDecoder keeps the first of two
/// equal keys while Go and Python keep the last (the class of CVE-2021-41190); Go replaces invalid
/// UTF-8 and unpaired surrogates with U+FFFD while Python refuses the first and keeps the second.
/// A document that avoids every such choice reads the same everywhere, so anything else is refused
/// before the manifest is decoded.
///
/// One pass over the bytes with an explicit stack: only keys are stored, never values, and a
/// hostile document cannot exhaust the thread's stack.
enum StrictJSON {
    /// Real manifests nest a handful of levels; this is far above that and far below what any
    /// recursive reader down the line needs to stay within its stack.
    static let maximumDepth = 256

    /// Why a document was refused, worded for the user who pushed it. Messages quote at most 64
    /// characters of a key and escape control and format characters, so they are safe to log.
    struct Refusal: Error, Equatable, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Returns normally if `bytes` is a single RFC 8259 JSON value in UTF-8 that no reader can
    /// take two ways, and throws the first reason it is not otherwise.
    static func check(_ bytes: [UInt8]) throws(Refusal) {
        try checkEncoding(bytes)
        var reader = Reader(bytes: bytes)
        try reader.readDocument()
    }

    /// Named up front because the syntax error these would otherwise produce ("unexpected byte
    /// 0xEF at byte 0") hides the cause: Python's json.loads skips a BOM and reads UTF-16 when
    /// given bytes, Go refuses both, and both are what a Windows editor may save.
    private static func checkEncoding(_ bytes: [UInt8]) throws(Refusal) {
        if bytes.isEmpty {
            throw Refusal(message: "the document is empty")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
            throw Refusal(message: "the document starts with a UTF-8 byte order mark")
        }
        // JSON text never contains a raw NUL, and UTF-16 or UTF-32 text starting with an ASCII
        // character has one within its first four bytes.
        if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) || bytes.prefix(4).contains(0) {
            throw Refusal(message: "the document is UTF-16 or UTF-32 encoded, not UTF-8")
        }
    }
}

// MARK: - Reader

extension StrictJSON {
    /// An array or object that has been opened and not yet closed.
    private struct Frame {
        let isObject: Bool
        /// For an array, the index of the element being read, for paths in messages.
        var index = 0
        /// Where this object's keys start in `openKeys` and `keyBytes`, to drop them when it closes.
        let firstKey: Int
        let firstKeyByte: Int
        /// The key of the member being read, for paths in messages; nil between members.
        var currentKey: Key? = nil
        /// Whether `Reader.keyHashes[depth]` holds this object's keys, which it does only once the
        /// object has too many keys to search linearly. The set lives outside the frame so that a
        /// frame holds no reference and pushing or popping one costs no reference counting.
        var isHashed = false
    }

    /// A key's decoded UTF-8: in the document itself when it has no escapes, which is nearly
    /// always, so that reading it copies nothing; in `Reader.keyBytes` otherwise.
    private struct Key {
        let range: Range<Int>
        let hasEscapes: Bool
    }

    private struct Reader {
        /// Objects with up to this many keys are searched linearly for a duplicate, which costs
        /// less than hashing; larger ones use `keyHashes` so that a document of many keys
        /// cannot make the check quadratic.
        static let linearSearchLimit = 16

        let bytes: [UInt8]
        var position = 0
        var frames: [Frame] = []
        /// The decoded UTF-8 of the keys with escapes of every open object, back to back. Keys
        /// are compared decoded, so that `"a"` and `"\u0061"` are the same key, and byte for
        /// byte, as Go does: Swift's String equality would make precomposed and decomposed "é" one
        /// key.
        var keyBytes: [UInt8] = []
        /// The keys of every open object, in document order.
        var openKeys: [Key] = []
        /// For each depth, the hashes of the keys of the hashed object open there, if any; sets
        /// are kept when their object closes, to be reused empty by the next large object.
        var keyHashes: [Set<Int>] = []

        init(bytes: [UInt8]) {
            self.bytes = bytes
            frames.reserveCapacity(16)
            keyBytes.reserveCapacity(1024)
            openKeys.reserveCapacity(64)
        }

        mutating func readDocument() throws(Refusal) {
            skipWhitespace()
            nextValue: while true {
                guard position < bytes.count else {
                    throw syntaxError("expected a value, but the document ends", at: position)
                }
                switch bytes[position] {
                case UInt8(ascii: "{"):
                    try open(isObject: true)
                    skipWhitespace()
                    if position < bytes.count && bytes[position] == UInt8(ascii: "}") {
                        position += 1
                        close()
                    } else {
                        try readKey()
                        continue nextValue
                    }
                case UInt8(ascii: "["):
                    try open(isObject: false)
                    skipWhitespace()
                    if position < bytes.count && bytes[position] == UInt8(ascii: "]") {
                        position += 1
                        close()
                    } else {
                        continue nextValue
                    }
                case UInt8(ascii: "\""):
                    try readString(decodingKey: false)
                case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                    try readNumber()
                case UInt8(ascii: "t"):
                    try readLiteral("true")
                case UInt8(ascii: "f"):
                    try readLiteral("false")
                case UInt8(ascii: "n"):
                    try readLiteral("null")
                default:
                    throw syntaxError("expected a value, found \(describe(bytes[position]))", at: position)
                }

                // A value is complete: close the containers that end after it, up to the next
                // value, or to the end of the document.
                while true {
                    skipWhitespace()
                    guard let top = frames.indices.last else {
                        guard position == bytes.count else {
                            throw syntaxError("unexpected \(describe(bytes[position])) after the end of the JSON value", at: position)
                        }
                        return
                    }
                    let isObject = frames[top].isObject
                    guard position < bytes.count else {
                        throw syntaxError("the document ends inside \(isObject ? "an object" : "an array")", at: position)
                    }
                    let byte = bytes[position]
                    if byte == UInt8(ascii: ",") {
                        position += 1
                        skipWhitespace()
                        if isObject {
                            frames[top].currentKey = nil
                            try readKey()
                        } else {
                            frames[top].index += 1
                        }
                        continue nextValue
                    }
                    if byte == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                        position += 1
                        close()
                        continue
                    }
                    throw syntaxError(
                        isObject ? "expected ',' or '}' after a member, found \(describe(byte))"
                            : "expected ',' or ']' after an element, found \(describe(byte))",
                        at: position
                    )
                }
            }
        }

        // MARK: Containers and keys

        private mutating func open(isObject: Bool) throws(Refusal) {
            guard frames.count < StrictJSON.maximumDepth else {
                throw Refusal(message: "arrays and objects nest deeper than \(StrictJSON.maximumDepth) levels at byte \(position)")
            }
            frames.append(Frame(isObject: isObject, firstKey: openKeys.count, firstKeyByte: keyBytes.count))
            position += 1
        }

        private mutating func close() {
            let frame = frames.removeLast()
            if frame.isObject {
                // removeLast rather than a fresh array keeps the capacity for the next object.
                openKeys.removeLast(openKeys.count - frame.firstKey)
                keyBytes.removeLast(keyBytes.count - frame.firstKeyByte)
            }
        }

        /// Reads `"key" :` and the whitespace after it, leaving `position` at the member's value.
        private mutating func readKey() throws(Refusal) {
            guard position < bytes.count else {
                throw syntaxError("expected a key in double quotes, but the document ends", at: position)
            }
            guard bytes[position] == UInt8(ascii: "\"") else {
                throw syntaxError("expected a key in double quotes, found \(describe(bytes[position]))", at: position)
            }
            let opening = position
            let start = keyBytes.count
            let hasEscapes = try readString(decodingKey: true)
            try record(key: Key(range: hasEscapes ? start..<keyBytes.count : opening + 1..<position - 1, hasEscapes: hasEscapes))
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                let found = position < bytes.count ? describe(bytes[position]) : "the end of the document"
                throw syntaxError("expected ':' after a key, found \(found)", at: position)
            }
            position += 1
            skipWhitespace()
        }

        /// Refuses `key` if the innermost object already has it, and remembers it otherwise.
        private mutating func record(key: Key) throws(Refusal) {
            let top = frames.count - 1
            let first = frames[top].firstKey
            if openKeys.count - first >= Self.linearSearchLimit {
                if !frames[top].isHashed {
                    frames[top].isHashed = true
                    while keyHashes.count <= top {
                        keyHashes.append([])
                    }
                    keyHashes[top].removeAll(keepingCapacity: true)
                    for other in first..<openKeys.count {
                        keyHashes[top].insert(hash(openKeys[other]))
                    }
                }
                // Hasher is seeded per process, so a sender cannot choose keys that collide; a
                // collision only costs the linear search below.
                if keyHashes[top].insert(hash(key)).inserted {
                    openKeys.append(key)
                    frames[top].currentKey = key
                    return
                }
            }
            for other in first..<openKeys.count where keysEqual(openKeys[other], key) {
                let container = path(frameCount: top)
                let place = container.isEmpty ? "the top-level object" : "the object at \(container)"
                throw Refusal(message: "duplicate key \(quoted(key)) in \(place)")
            }
            openKeys.append(key)
            frames[top].currentKey = key
        }

        private func text(of key: Key) -> ArraySlice<UInt8> {
            key.hasEscapes ? keyBytes[key.range] : bytes[key.range]
        }

        private func keysEqual(_ a: Key, _ b: Key) -> Bool {
            a.range.count == b.range.count && text(of: a).elementsEqual(text(of: b))
        }

        private func hash(_ key: Key) -> Int {
            var hasher = Hasher()
            // Bytes at a time rather than one by one: hashing is most of the cost of an object
            // with very many keys.
            func combine(_ array: [UInt8]) {
                // In bounds: `key.range` lies within the array it was made for (the document, or
                // keyBytes, which keeps every key of an open object), and rebasing a slice traps
                // rather than read past the buffer.
                array.withUnsafeBytes { hasher.combine(bytes: UnsafeRawBufferPointer(rebasing: $0[key.range])) }
            }
            combine(key.hasEscapes ? keyBytes : bytes)
            return hasher.finalize()
        }

        // MARK: Scalars

        private mutating func skipWhitespace() {
            while position < bytes.count {
                switch bytes[position] {
                case 0x20, 0x0A, 0x0D, 0x09: position += 1
                default: return
                }
            }
        }

        /// Reads the string whose opening quote is at `position` and leaves `position` after its
        /// closing quote. If a key has escapes, its decoded UTF-8 is appended to `keyBytes` and
        /// the result is true; a key without them is its own decoding, and a value's is not kept.
        @discardableResult
        private mutating func readString(decodingKey: Bool) throws(Refusal) -> Bool {
            let opening = position
            var index = position + 1
            var hasEscapes = false
            // Start of the bytes not yet copied to keyBytes: unescaped text is copied in runs.
            var run = index
            while true {
                index = plainTextEnd(from: index)
                guard index < bytes.count else {
                    throw syntaxError("unterminated string", at: opening)
                }
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    break
                } else if byte == UInt8(ascii: "\\") {
                    if decodingKey {
                        keyBytes.append(contentsOf: bytes[run..<index])
                    }
                    hasEscapes = true
                    index = try readEscape(at: index, decodingKey: decodingKey)
                    run = index
                } else if byte < 0x20 {
                    throw syntaxError("unescaped control character \(hex(byte)) in a string", at: index)
                } else if let end = utf8SequenceEnd(at: index) {
                    index = end
                } else {
                    throw Refusal(message: "invalid UTF-8 at byte \(index)\(pathSuffix())")
                }
            }
            if decodingKey && hasEscapes {
                keyBytes.append(contentsOf: bytes[run..<index])
            }
            position = index + 1
            return hasEscapes
        }

        /// The index of the first byte at or after `start` that a string cannot hold as it is (a
        /// quote, a backslash, a control character or a non-ASCII byte), or `bytes.count`. Strings
        /// are most of a manifest, so this looks at eight bytes at a time.
        private func plainTextEnd(from start: Int) -> Int {
            bytes.withUnsafeBufferPointer { buffer in
                var index = start
                let ones: UInt64 = 0x0101_0101_0101_0101
                let highs: UInt64 = 0x8080_8080_8080_8080
                // In bounds: each load reads bytes index..<index + 8, and the loop runs only while
                // index + 8 <= buffer.count; index never goes below start >= 0.
                while index + 8 <= buffer.count {
                    let word = UnsafeRawPointer(buffer.baseAddress! + index).loadUnaligned(as: UInt64.self)
                    // The "has a byte less than n" test from Bit Twiddling Hacks: (x - n·ones) & ~x
                    // sets a top bit if and only if some byte of x is below n (n <= 0x80). XOR
                    // turns a quote or backslash into a zero byte, and the word's own top bits are
                    // its non-ASCII bytes. Only whether any top bit is set matters: the byte loop
                    // below finds which byte it was.
                    let quote = word ^ (ones &* 0x22)
                    let backslash = word ^ (ones &* 0x5C)
                    let control = (word &- ones &* 0x20) & ~word
                    let isQuote = (quote &- ones) & ~quote
                    let isBackslash = (backslash &- ones) & ~backslash
                    if (control | isQuote | isBackslash | word) & highs != 0 {
                        break
                    }
                    index += 8
                }
                // In bounds: the loop condition checks index against buffer.count before reading.
                while index < buffer.count {
                    let byte = buffer[index]
                    if byte < 0x20 || byte >= 0x80 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
                        break
                    }
                    index += 1
                }
                return index
            }
        }

        /// Reads the escape whose backslash is at `index` and returns the index after it.
        private mutating func readEscape(at index: Int, decodingKey: Bool) throws(Refusal) -> Int {
            guard index + 1 < bytes.count else {
                throw syntaxError("unterminated string", at: index)
            }
            let decoded: UInt8
            switch bytes[index + 1] {
            case UInt8(ascii: "\""): decoded = 0x22
            case UInt8(ascii: "\\"): decoded = 0x5C
            case UInt8(ascii: "/"): decoded = 0x2F
            case UInt8(ascii: "b"): decoded = 0x08
            case UInt8(ascii: "f"): decoded = 0x0C
            case UInt8(ascii: "n"): decoded = 0x0A
            case UInt8(ascii: "r"): decoded = 0x0D
            case UInt8(ascii: "t"): decoded = 0x09
            case UInt8(ascii: "u"):
                guard let unit = hexQuad(at: index + 2) else {
                    throw syntaxError("\\u is not followed by four hexadecimal digits", at: index)
                }
                var scalar = UInt32(unit)
                var end = index + 6
                // RFC 8259 allows an unpaired surrogate, but no Unicode string holds one: Go reads
                // it as U+FFFD, Python keeps it, Foundation refuses it.
                if (0xD800...0xDBFF).contains(unit) {
                    guard end + 1 < bytes.count, bytes[end] == UInt8(ascii: "\\"), bytes[end + 1] == UInt8(ascii: "u"),
                        let low = hexQuad(at: end + 2), (0xDC00...0xDFFF).contains(low)
                    else {
                        throw unpairedSurrogate(at: index)
                    }
                    scalar = 0x10000 + (UInt32(unit - 0xD800) << 10) + UInt32(low - 0xDC00)
                    end += 6
                } else if (0xDC00...0xDFFF).contains(unit) {
                    throw unpairedSurrogate(at: index)
                }
                if decodingKey {
                    appendUTF8(scalar)
                }
                return end
            default:
                throw syntaxError("invalid escape: a backslash followed by \(describe(bytes[index + 1]))", at: index)
            }
            if decodingKey {
                keyBytes.append(decoded)
            }
            return index + 2
        }

        private func unpairedSurrogate(at index: Int) -> Refusal {
            // hexQuad succeeded, so the six bytes are a backslash, 'u' and four ASCII hex digits.
            let escape = String(decoding: bytes[index..<index + 6], as: UTF8.self)
            return Refusal(message: "unpaired UTF-16 surrogate \(escape) at byte \(index)\(pathSuffix())")
        }

        private func hexQuad(at index: Int) -> UInt16? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt16 = 0
            for byte in bytes[index..<index + 4] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: return nil
                }
                value = value << 4 | UInt16(digit)
            }
            return value
        }

        private mutating func appendUTF8(_ scalar: UInt32) {
            switch scalar {
            case ..<0x80:
                keyBytes.append(UInt8(scalar))
            case ..<0x800:
                keyBytes.append(UInt8(0xC0 | scalar >> 6))
                keyBytes.append(UInt8(0x80 | scalar & 0x3F))
            case ..<0x10000:
                keyBytes.append(UInt8(0xE0 | scalar >> 12))
                keyBytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
                keyBytes.append(UInt8(0x80 | scalar & 0x3F))
            default:
                keyBytes.append(UInt8(0xF0 | scalar >> 18))
                keyBytes.append(UInt8(0x80 | scalar >> 12 & 0x3F))
                keyBytes.append(UInt8(0x80 | scalar >> 6 & 0x3F))
                keyBytes.append(UInt8(0x80 | scalar & 0x3F))
            }
        }

        /// The index after the well-formed UTF-8 sequence that starts with the non-ASCII byte at
        /// `index`, or nil. Well-formed is RFC 3629: no overlong forms, no surrogates, nothing past
        /// U+10FFFF; those are what readers disagree on.
        private func utf8SequenceEnd(at index: Int) -> Int? {
            let lead = bytes[index]
            let length: Int
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; second = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; second = 0x80...0x9F
            case 0xF0: length = 4; second = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; second = 0x80...0x8F
            default: return nil
            }
            guard index + length <= bytes.count, second.contains(bytes[index + 1]) else { return nil }
            for continuation in bytes[index + 2..<index + length] where continuation & 0xC0 != 0x80 {
                return nil
            }
            return index + length
        }

        /// RFC 8259 numbers only: Python also reads NaN and Infinity, which Go and Foundation refuse.
        private mutating func readNumber() throws(Refusal) {
            let start = position
            var index = position
            if bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else {
                throw syntaxError("invalid number: expected a digit after '-'", at: index)
            }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
                if index < bytes.count && isDigit(bytes[index]) {
                    throw syntaxError("invalid number: a leading zero", at: start)
                }
            } else {
                index = digitsEnd(from: index)
            }
            if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else {
                    throw syntaxError("invalid number: expected a digit after the decimal point", at: index)
                }
                index = digitsEnd(from: index)
            }
            if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
                index += 1
                if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
                    index += 1
                }
                guard index < bytes.count, isDigit(bytes[index]) else {
                    throw syntaxError("invalid number: expected a digit in the exponent", at: index)
                }
                index = digitsEnd(from: index)
            }
            position = index
        }

        private func isDigit(_ byte: UInt8) -> Bool {
            byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
        }

        private func digitsEnd(from start: Int) -> Int {
            var index = start
            while index < bytes.count && isDigit(bytes[index]) {
                index += 1
            }
            return index
        }

        private mutating func readLiteral(_ word: String) throws(Refusal) {
            for (offset, expected) in word.utf8.enumerated() {
                guard position + offset < bytes.count, bytes[position + offset] == expected else {
                    throw syntaxError("expected a value, found an invalid literal", at: position)
                }
            }
            position += word.utf8.count
        }

        // MARK: Messages

        private func syntaxError(_ problem: String, at offset: Int) -> Refusal {
            let location = path(frameCount: frames.count)
            return Refusal(message: "invalid JSON at byte \(offset)\(location.isEmpty ? "" : " in \(location)"): \(problem)")
        }

        private func pathSuffix() -> String {
            let location = path(frameCount: frames.count)
            return location.isEmpty ? "" : " in \(location)"
        }

        /// Where the reader is, as `manifests[1].platform`, through the first `frameCount` frames.
        /// Built only for a message, so its cost does not matter; its length does, so a deep path
        /// keeps only its ends.
        private func path(frameCount: Int) -> String {
            var components: [String] = []
            for frame in frames[..<frameCount] {
                if !frame.isObject {
                    components.append("[\(frame.index)]")
                } else if let key = frame.currentKey {
                    components.append(isPlainName(key) ? "." + displayed(key) : "[\(quoted(key))]")
                }
            }
            let head = 4
            let tail = 4
            if components.count > head + tail + 1 {
                return dropDot(components[..<head].joined()) + " … " + dropDot(components[(components.count - tail)...].joined())
            }
            return dropDot(components.joined())
        }

        private func dropDot(_ path: String) -> String {
            path.hasPrefix(".") ? String(path.dropFirst()) : path
        }

        /// Whether a key reads unambiguously after a dot: others are written `["key"]`, so that
        /// `annotations["org.opencontainers.image.created"]` is not taken for four keys.
        private func isPlainName(_ key: Key) -> Bool {
            !key.range.isEmpty && text(of: key).allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default:
                    false
                }
            }
        }

        private func quoted(_ key: Key) -> String {
            "\"" + displayed(key) + "\""
        }

        /// At most 64 characters of a key, escaped so that it cannot disturb a log line or a
        /// terminal.
        private func displayed(_ key: Key) -> String {
            LogText.escaped(String(decoding: text(of: key), as: UTF8.self), limit: 64)
        }

        private func describe(_ byte: UInt8) -> String {
            (0x21...0x7E).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte \(hex(byte))"
        }

        private func hex(_ byte: UInt8) -> String {
            let digits = String(byte, radix: 16, uppercase: true)
            return "0x" + (digits.count == 1 ? "0" : "") + digits
        }
    }
}
