/// Why a request or a scenario failed; the message is what the report shows as the first error.
struct BenchError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
