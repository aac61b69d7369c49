import Foundation

/// The seed of a randomised test (crash rounds, a soak): `STOWAGE_TEST_SEED` when set, to replay
/// a failure, else a fresh one. The test prints it before it starts, so that any run it fails
/// can be replayed with the same sequence of choices.
public enum TestSeed {
    public static let variable = "STOWAGE_TEST_SEED"

    public struct Malformed: Error, CustomStringConvertible {
        public let value: String
        public var description: String { "\(TestSeed.variable)=\(value) is not a number from 0 to \(UInt64.max)" }
    }

    /// The seed `environment` names, or a fresh one if it names none.
    public static func seed(in environment: [String: String]) throws -> UInt64 {
        guard let value = environment[variable] else { return UInt64.random(in: .min ... .max) }
        guard let seed = UInt64(value) else { throw Malformed(value: value) }
        return seed
    }

    /// This run's seed for `test`, printed with the way to replay it.
    public static func draw(for test: String) throws -> UInt64 {
        let seed = try seed(in: ProcessInfo.processInfo.environment)
        print("\(test): seed \(seed) (replay with \(variable)=\(seed))")
        return seed
    }
}
