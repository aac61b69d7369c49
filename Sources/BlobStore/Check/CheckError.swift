/// Why a check or a repair could not run at all, as opposed to what it found.
public struct CheckError: Error, CustomStringConvertible {
    public let description: String
}
