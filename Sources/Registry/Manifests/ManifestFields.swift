/// One JSON object of a pushed manifest, read field by field with typed decodes (unknown fields
/// are skipped, never materialised). A field of the wrong JSON type throws the `ManifestError`
/// the client will see, naming it by its path, `manifests[1].platform.os`. Null reads as absent:
/// Go clients write null for unset lists and pointers, and distribution accepts it.
///
/// Only valid inside the `Decodable` initialiser it was made in, like the container it wraps.
struct ManifestFields {
    struct Key: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }

        init(_ name: String) { stringValue = name }
        init(stringValue: String) { self.init(stringValue) }
        init?(intValue: Int) { nil }
    }

    /// Empty for the manifest itself.
    let path: String
    private let container: KeyedDecodingContainer<Key>

    /// - Parameter expected: what the value must be, for the refusal: "a descriptor object".
    init(_ decoder: any Decoder, path: String, expected: String) throws {
        do {
            container = try decoder.container(keyedBy: Key.self)
        } catch {
            let found = (try? JSONKind(from: decoder))?.summary ?? "an unreadable value"
            throw ManifestError.invalid("\(path.isEmpty ? "manifest" : path) must be \(expected), not \(found)")
        }
        self.path = path
    }

    func qualified(_ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    /// Whether the field is there and not null.
    func has(_ key: String) -> Bool {
        container.contains(Key(key)) && (try? container.decodeNil(forKey: Key(key))) == false
    }

    /// What the field holds, for a refusal.
    func found(_ key: String) -> String {
        (try? container.decode(JSONKind.self, forKey: Key(key)))?.summary ?? "an unreadable value"
    }

    func string(_ key: String) throws -> String? {
        try read(key, as: String.self, expected: "a string", sayFound: true)
    }

    func integer(_ key: String) throws -> Int64? {
        try read(key, as: Int64.self, expected: "an integer", sayFound: true)
    }

    func strings(_ key: String) throws -> [String]? {
        try read(key, as: [String].self, expected: "an array of strings", sayFound: false)
    }

    func stringMap(_ key: String) throws -> [String: String]? {
        try read(key, as: [String: String].self, expected: "an object mapping strings to strings", sayFound: false)
    }

    func object(_ key: String, expected: String) throws -> ManifestFields? {
        guard has(key) else { return nil }
        return try ManifestFields(container.superDecoder(forKey: Key(key)), path: qualified(key), expected: expected)
    }

    /// - Parameters:
    ///   - plural: what the array must hold, for the refusal: "descriptors".
    ///   - expected: what each element must be: "a descriptor object".
    func objects(_ key: String, plural: String, expected: String) throws -> [ManifestFields]? {
        guard has(key) else { return nil }
        var list: UnkeyedDecodingContainer
        do {
            list = try container.nestedUnkeyedContainer(forKey: Key(key))
        } catch {
            throw ManifestError.invalid("\(qualified(key)) must be an array of \(plural), not \(found(key))")
        }
        var elements: [ManifestFields] = []
        while !list.isAtEnd {
            let element = try list.superDecoder()
            elements.append(try ManifestFields(element, path: "\(qualified(key))[\(elements.count)]", expected: expected))
        }
        return elements
    }

    /// Refuses a key that is one of `known` but for letter case (`Layers`, `MediaType`). Go's
    /// encoding/json, which distribution, containerd and docker decode manifests with, matches
    /// keys to fields without regard to case (and folds `ſ` to `s` and the Kelvin sign to `k`), so
    /// it would read `{"layers":[],"Layers":[…]}` as the second list where this parser reads the
    /// first: the parser differential of duplicate keys in another form.
    func refuseCaseVariants(of known: [String]) throws {
        let folded = Dictionary(known.map { (Self.goFold($0), $0) }, uniquingKeysWith: { first, _ in first })
        for key in container.allKeys {
            if let field = folded[Self.goFold(key.stringValue)], field != key.stringValue {
                throw ManifestError.invalid("\(qualified(LogText.escaped(key.stringValue, limit: 64))) is not a field; did you mean \(field)? (keys are case-sensitive)")
            }
        }
    }

    /// Go's equal-fold for field names: simple case folding, which also takes `ſ` (U+017F) to
    /// `s` and the Kelvin sign (U+212A) to `k`.
    private static func goFold(_ key: String) -> String {
        String(String.UnicodeScalarView(key.unicodeScalars.map { scalar in
            switch scalar.value {
            case 0x017F: "s"
            case 0x212A: "k"
            default: scalar
            }
        })).lowercased()
    }

    /// - Parameter sayFound: whether the refusal names what was found: useful for a scalar,
    ///   noise for a collection whose fault is one of its members.
    private func read<Value: Decodable>(_ key: String, as type: Value.Type, expected: String, sayFound: Bool) throws -> Value? {
        do {
            return try container.decodeIfPresent(type, forKey: Key(key))
        } catch {
            let detail = sayFound ? ", not \(found(key))" : ""
            throw ManifestError.invalid("\(qualified(key)) must be \(expected)\(detail)")
        }
    }
}
