/// The "decoder" for uncompressed input, so that callers read every layer the same way.
public struct PassThroughDecoder: StreamDecoder {
    public init() {}

    public func decode(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        if !input.isEmpty {
            try sink(input)
        }
    }

    public func finish() throws {}
}
