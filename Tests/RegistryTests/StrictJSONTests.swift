@testable import Registry
import Testing

@Suite("Strict JSON")
struct StrictJSONTests {
    static func check(_ text: String) throws(StrictJSON.Refusal) {
        try StrictJSON.check(Array(text.utf8))
    }

    static let validDocuments = [
        "{}", "[]", " \t\r\n{ \t\r\n} \t\r\n", #"[[], {}, [[]], {"a": {}}]"#, "true", "false", "null", #""""#,
        "0", "-0", "1", "-1", "123456789012345678901234567890", "0.5", "-0.0", "1.25e10", "1E+2", "1e-2", "0e0",
        "-12.5E-07", "1e999",
        #""\" \\ \/ \b \f \n \r \t \u0000 \u001f \u00e9 \uFFFF \ud83d\ude00 \uDBFF\uDFFF""#,
        "\"héllo 日本語 😀 \u{10FFFF} \u{7F}\"",
        // The same key in sibling objects, at different depths, and in arrays of objects.
        #"{"a":1,"b":{"a":1,"b":[{"a":1},{"a":2}]},"c":[{"a":1}]}"#,
        #"{"x":{"x":{"x":{}}}}"#,
        // Keys that only look alike: case, whitespace, and precomposed against decomposed "é",
        // which Go reads as two keys though Swift's String equality calls them one.
        #"{"a":1,"A":2,"a ":3,"":4}"#, "{\"\u{E9}\":1,\"e\u{301}\":2}", #"{"\u0000":1,"":2}"#,
        #"{"\ud83d\ude00":1,"\ud83d\ude01":2}"#,
        String(repeating: "[", count: StrictJSON.maximumDepth) + String(repeating: "]", count: StrictJSON.maximumDepth),
    ]

    @Test(arguments: validDocuments)
    func acceptsValidJSON(_ text: String) throws {
        try Self.check(text)
    }

    @Test(arguments: [
        ("", "the document is empty"),
        ("{} x", "invalid JSON at byte 3: unexpected 'x' after the end of the JSON value"),
        ("   ", "invalid JSON at byte 3: expected a value, but the document ends"),
        (#"{"a":"b"#, "invalid JSON at byte 5 in a: unterminated string"),
        ("[\"a\nb\"]", "invalid JSON at byte 3 in [0]: unescaped control character 0x0A in a string"),
        (#""\x""#, "invalid JSON at byte 1: invalid escape: a backslash followed by 'x'"),
        (#""\u12G4""#, "invalid JSON at byte 1: \\u is not followed by four hexadecimal digits"),
        (#""\ud800""#, "unpaired UTF-16 surrogate \\ud800 at byte 1"),
        (#""\ud800\u0041""#, "unpaired UTF-16 surrogate \\ud800 at byte 1"),
        (#"{"a":["\udc00"]}"#, "unpaired UTF-16 surrogate \\udc00 at byte 7 in a[0]"),
        ("01", "invalid JSON at byte 0: invalid number: a leading zero"),
        ("1.", "invalid JSON at byte 2: invalid number: expected a digit after the decimal point"),
        ("-", "invalid JSON at byte 1: invalid number: expected a digit after '-'"),
        ("1e+", "invalid JSON at byte 3: invalid number: expected a digit in the exponent"),
        ("+1", "invalid JSON at byte 0: expected a value, found '+'"),
        (".5", "invalid JSON at byte 0: expected a value, found '.'"),
        ("[NaN]", "invalid JSON at byte 1 in [0]: expected a value, found 'N'"),
        ("tru", "invalid JSON at byte 0: expected a value, found an invalid literal"),
        ("[1,]", "invalid JSON at byte 3 in [1]: expected a value, found ']'"),
        (#"{"a":1,}"#, "invalid JSON at byte 7: expected a key in double quotes, found '}'"),
        (#"{"a" 1}"#, "invalid JSON at byte 5 in a: expected ':' after a key, found '1'"),
        ("[1 2]", "invalid JSON at byte 3 in [0]: expected ',' or ']' after an element, found '2'"),
        (#"{"a":1"#, "invalid JSON at byte 6 in a: the document ends inside an object"),
        ("{}\u{0B}", "invalid JSON at byte 2: unexpected byte 0x0B after the end of the JSON value"),
    ])
    func refusesInvalidJSON(_ text: String, _ message: String) {
        #expect(throws: StrictJSON.Refusal(message: message)) { try Self.check(text) }
    }

    @Test(arguments: [
        [0xEF, 0xBB, 0xBF, 0x7B, 0x7D],  // UTF-8 byte order mark
        [0xFE, 0xFF, 0x00, 0x7B, 0x00, 0x7D], [0xFF, 0xFE, 0x7B, 0x00, 0x7D, 0x00],  // UTF-16 with BOM
        [0x7B, 0x00, 0x7D, 0x00], [0x00, 0x7B, 0x00, 0x7D],  // UTF-16 without
        [0x7B, 0x00, 0x00, 0x00, 0x7D, 0x00, 0x00, 0x00], [0x00, 0x00, 0xFE, 0xFF, 0x00, 0x00, 0x00, 0x31],  // UTF-32
    ] as [[UInt8]])
    func refusesOtherEncodings(_ bytes: [UInt8]) {
        let expected = bytes.first == 0xEF
            ? "the document starts with a UTF-8 byte order mark" : "the document is UTF-16 or UTF-32 encoded, not UTF-8"
        #expect(throws: StrictJSON.Refusal(message: expected)) { try StrictJSON.check(bytes) }
    }

    @Test(arguments: [
        [0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xC2], [0xC2, 0x41], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80],
        [0xF0, 0x8F, 0xBF, 0xBF], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF], [0xF0, 0x9F, 0x98],
    ] as [[UInt8]])
    func refusesInvalidUTF8(_ sequence: [UInt8]) {
        let value = Array(#"{"k":["ab"#.utf8) + sequence + Array(#""]}"#.utf8)
        #expect(throws: StrictJSON.Refusal(message: "invalid UTF-8 at byte 9 in k[0]")) { try StrictJSON.check(value) }
        let key = Array(#"{"k"#.utf8) + sequence + Array(#"":1}"#.utf8)
        #expect(throws: StrictJSON.Refusal(message: "invalid UTF-8 at byte 3")) { try StrictJSON.check(key) }
    }

    @Test func acceptsTheEdgesOfUTF8() throws {
        // U+D7FF, U+E000, U+10FFFF and U+FFFE: the last scalars before and after the gaps.
        try StrictJSON.check([0x22, 0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF, 0xEF, 0xBF, 0xBE, 0x22])
    }

    @Test(arguments: [
        (#"{"layers":[],"layers":[{"size":1}]}"#, #"duplicate key "layers" in the top-level object"#),
        // Keys are compared after decoding escapes, as every reader decodes them.
        (#"{"a":1,"\u0061":2}"#, #"duplicate key "a" in the top-level object"#),
        (#"{"😀":1,"\ud83d\ude00":2}"#, #"duplicate key "😀" in the top-level object"#),
        (#"{"\/":1,"/":2}"#, #"duplicate key "/" in the top-level object"#),
        (#"{"":1,"":2}"#, #"duplicate key "" in the top-level object"#),
        (#"{"manifests":[{"digest":"x"},{"platform":{"os":"linux","os":"windows"}}]}"#,
         #"duplicate key "os" in the object at manifests[1].platform"#),
        (#"[{},[{"a":{"b":1,"b":2}}]]"#, #"duplicate key "b" in the object at [1][0].a"#),
        (#"{"annotations":{"org.example":{"k":1,"k":1}}}"#, #"duplicate key "k" in the object at annotations["org.example"]"#),
        // Keys of an object stay remembered across a nested object.
        (#"{"a":{"x":1,"y":{"z":1}},"b":2,"a":3}"#, #"duplicate key "a" in the top-level object"#),
    ])
    func refusesDuplicateKeys(_ text: String, _ message: String) {
        #expect(throws: StrictJSON.Refusal(message: message)) { try Self.check(text) }
    }

    /// Objects past a handful of keys are checked by hash rather than by linear search.
    @Test(arguments: [15, 16, 17, 40, 5000])
    func findsDuplicatesInLargeObjects(_ count: Int) throws {
        let keys = (0..<count).map { "\"k\($0)\":0" }
        try Self.check("{" + keys.joined(separator: ",") + "}")
        for duplicate in [0, count / 2, count - 1] {
            let text = "{" + (keys + ["\"\\u006b\(duplicate)\":1"]).joined(separator: ",") + "}"
            #expect(throws: StrictJSON.Refusal(message: "duplicate key \"k\(duplicate)\" in the top-level object")) {
                try Self.check(text)
            }
        }
    }

    @Test func refusesNestingDeeperThanTheLimit() {
        let depth = StrictJSON.maximumDepth + 1
        #expect(throws: StrictJSON.Refusal(message: "arrays and objects nest deeper than 256 levels at byte 256")) {
            try Self.check(String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        }
        #expect(throws: StrictJSON.Refusal.self) {
            try Self.check(String(repeating: #"{"a":"#, count: 300) + "1" + String(repeating: "}", count: 300))
        }
        // Refused at the limit, long before the end of the document.
        #expect(throws: StrictJSON.Refusal.self) { try Self.check(String(repeating: "[", count: 1_000_000)) }
    }

    @Test func messagesAreSafeToLog() {
        let long = String(repeating: "x", count: 100)
        let truncated = String(repeating: "x", count: 64) + "…(100 bytes)"
        #expect(throws: StrictJSON.Refusal(message: "duplicate key \"\(truncated)\" in the top-level object")) {
            try Self.check("{\"\(long)\":1,\"\(long)\":2}")
        }
        #expect(throws: StrictJSON.Refusal(message: #"duplicate key "\u001b[31m" in the object at ["a\u202eb"]"#)) {
            try Self.check(#"{"a\u202eb":{"\u001b[31m":1,"\u001B[31m":2}}"#)
        }
        #expect(throws: StrictJSON.Refusal(message: #"duplicate key "a\"b\\c\n" in the top-level object"#)) {
            try Self.check(#"{"a\"b\\c\n":1,"a\"b\\c\u000a":2}"#)
        }
        // A deep path keeps only its ends.
        #expect(throws: StrictJSON.Refusal(message: "invalid JSON at byte 100 in a.a.a.a … a.a.a.a: expected a value, found 'x'")) {
            try Self.check(String(repeating: #"{"a":"#, count: 20) + "x")
        }
    }

    @Test func acceptsALargeManifest() throws {
        let entry = #"{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(String(repeating: "ab", count: 32))","size":1234,"platform":{"architecture":"amd64","os":"linux"}}"#
        let text = #"{"schemaVersion":2,"manifests":["# + Array(repeating: entry, count: (4 << 20) / entry.utf8.count + 1).joined(separator: ",") + "]}"
        #expect(text.utf8.count > 4 << 20)
        try Self.check(text)
    }
}
