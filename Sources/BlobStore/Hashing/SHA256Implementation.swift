import CSHA256

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A SHA-256 block function. Every one gives the same digests; they differ in speed and in the
/// CPUs that have them. `preferred` is chosen once per process.
public enum SHA256Implementation: String, Sendable, CaseIterable, CustomStringConvertible {
    /// x86-64 SHA extensions (SHA-NI): AMD Zen and later, Intel Ice Lake, Goldmont and later.
    case shaExtensions = "shani"
    /// ARMv8 SHA2 instructions.
    case armv8
    /// AVX2 message schedule with BMI2 scalar rounds, for x86-64 CPUs without SHA-NI.
    case avx2
    /// Swift only, for every CPU.
    case portable

    public var description: String { rawValue }

    /// Whether this CPU (and build) can run the implementation.
    public var isAvailable: Bool { Self.runnable.contains(self) }

    /// Probed once: CPUID traps to the hypervisor in a virtual machine (about 15 µs here), and
    /// every new hasher checks its implementation.
    private static let runnable = Set(allCases.filter(\.probe))

    private var probe: Bool {
        switch self {
        case .shaExtensions:
            #if arch(x86_64)
            stowage_sha256_has_shani() != 0
            #else
            false
            #endif
        case .avx2:
            #if arch(x86_64)
            stowage_sha256_has_avx2() != 0
            #else
            false
            #endif
        case .armv8:
            #if arch(arm64)
            stowage_sha256_has_armv8() != 0
            #else
            false
            #endif
        case .portable:
            true
        }
    }

    /// The implementations this CPU can run, fastest first.
    public static var available: [SHA256Implementation] { allCases.filter(\.isAvailable) }

    /// The environment variable that overrides the choice: `auto` or an implementation's name.
    public static let environmentVariable = "STOWAGE_SHA256"

    public enum SelectionError: Error, CustomStringConvertible {
        case unknown(String)
        case unavailable(SHA256Implementation)

        public var description: String {
            switch self {
            case .unknown(let name):
                "\(SHA256Implementation.environmentVariable)=\(name) names no SHA-256 implementation "
                    + "(use auto, \(SHA256Implementation.allCases.map(\.rawValue).joined(separator: ", ")))"
            case .unavailable(let implementation):
                "\(SHA256Implementation.environmentVariable)=\(implementation) is not supported by this CPU "
                    + "(available: \(SHA256Implementation.available.map(\.rawValue).joined(separator: ", ")))"
            }
        }
    }

    /// The implementation `STOWAGE_SHA256` asks for, or the fastest available when it is unset
    /// or `auto`. Executables call this at start so that a bad value is an error, not a surprise.
    public static func fromEnvironment() throws -> SHA256Implementation {
        guard let value = getenv(environmentVariable).map({ String(cString: $0) }), !value.isEmpty, value != "auto"
        else { return available[0] }
        guard let implementation = SHA256Implementation(rawValue: value) else { throw SelectionError.unknown(value) }
        guard implementation.isAvailable else { throw SelectionError.unavailable(implementation) }
        return implementation
    }

    /// The implementation hashers use unless told otherwise: `fromEnvironment()`, or the fastest
    /// available if the environment names something unusable (executables report that at start).
    public static let preferred: SHA256Implementation = (try? fromEnvironment()) ?? available[0]
}
