/// What a JSON value turned out to be, so that a refusal can say what it found instead of what
/// it expected. Built only on the error path: it probes by attempting each decode in turn, which
/// is far too slow to run over every value of a large manifest.
enum JSONKind: Decodable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string
    case array
    case object

    init(from decoder: any Decoder) throws {
        if (try? decoder.container(keyedBy: ManifestFields.Key.self)) != nil {
            self = .object
        } else if (try? decoder.unkeyedContainer()) != nil {
            self = .array
        } else {
            let value = try decoder.singleValueContainer()
            if value.decodeNil() {
                self = .null
            } else if let flag = try? value.decode(Bool.self) {
                self = .bool(flag)
            } else if let integer = try? value.decode(Int64.self) {
                self = .integer(integer)
            } else if let number = try? value.decode(Double.self) {
                self = .number(number)
            } else {
                _ = try value.decode(String.self)
                self = .string
            }
        }
    }

    /// Scalars as written, since "must be 2, not 3" is clearer than "not a number".
    var summary: String {
        switch self {
        case .null: "null"
        case .bool(let flag): "\(flag)"
        case .integer(let integer): "\(integer)"
        case .number(let number): "\(number)"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
