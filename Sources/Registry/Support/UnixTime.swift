import Foundation

/// The registry's one clock: whole seconds since the Unix epoch, as the metadata stores them.
public enum UnixTime {
    public static func now() -> Int64 { Int64(Date().timeIntervalSince1970) }
}
