/// Text that came with a request, made fit for a log line. A request can put anything in a user
/// name or a path: newlines and terminal escapes that would forge or hide log lines, megabytes
/// that would fill the disk, or a secret typed in the wrong field. Every such value is logged
/// through here.
enum LogText {
    /// At most `limit` Unicode scalars (so combining marks cannot make one character endless),
    /// with everything that could disturb a log line or a terminal escaped as JSON escapes it:
    /// quotes, backslashes, control and format characters (bidirectional overrides too), line
    /// and paragraph separators, private-use and unassigned code points. One value is then
    /// always one visible piece of one line.
    static func escaped(_ text: some StringProtocol, limit: Int = 128) -> String {
        // Nearly every value (a path, a name) is plain printable ASCII within the limit: it is
        // written as it is, without a Unicode property lookup per character, which every
        // request's access log line would otherwise pay for its path.
        let utf8 = text.utf8
        if utf8.count <= limit, utf8.allSatisfy({ (0x20...0x7E).contains($0) && $0 != 0x22 && $0 != 0x5C }) {
            return String(text)
        }
        var result = ""
        var count = 0
        for scalar in text.unicodeScalars {
            guard count < limit else {
                result += "…(\(text.utf8.count) bytes)"
                break
            }
            count += 1
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned:
                    for unit in UTF16.encode(scalar)! {
                        let digits = String(unit, radix: 16)
                        result += "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
                    }
                default:
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// A user name as presented. A credential pasted into the name field (a personal access
    /// token, a JWT, anything long and random) is never written out, only its length.
    static func userName(_ name: String) -> String {
        if (try? AccountName.validate(name)) != nil { return name }
        if looksLikeCredential(name) { return "<redacted: \(name.utf8.count) bytes shaped like a credential>" }
        return escaped(name, limit: AccountName.maximumLength)
    }

    /// A personal access token (`stw_` prefix), a JWT (`eyJ`), or 24 or more characters with
    /// no spaces: better to hide an odd user name than to log a secret.
    static func looksLikeCredential(_ text: String) -> Bool {
        let lowered = text.lowercased()
        if lowered.hasPrefix(PersonalAccessToken.prefix) || text.hasPrefix("eyJ") { return true }
        return text.utf8.count >= 24 && !text.contains(" ")
    }
}
