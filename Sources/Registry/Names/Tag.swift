/// A tag as the OCI distribution spec defines it: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
public enum Tag {
    public static func isValid(_ tag: some StringProtocol) -> Bool {
        let bytes = tag.utf8
        guard let first = bytes.first, bytes.count <= 128, isWordCharacter(first) else { return false }
        return bytes.dropFirst().allSatisfy { isWordCharacter($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    static func isWordCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}
