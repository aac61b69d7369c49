#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum Errno {
    static var current: Int32 { errno }

    static func message(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
