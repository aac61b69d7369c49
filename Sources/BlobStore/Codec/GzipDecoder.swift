import CZlib

/// Inflates a gzip stream of one or more members, as `cat a.gz b.gz` produces and pigz may; the output
/// is the members' contents back to back, as `gunzip` gives. Bytes after a member must start
/// another member: trailing garbage is reported as corruption, not ignored.
///
/// A class because zlib keeps a pointer back to the `z_stream` and checks it on every call, so
/// the stream must stay at one address for its whole life.
public final class GzipDecoder: StreamDecoder {
    /// 16 + 15: gzip wrapper (header and CRC-32 trailer checked) around the largest window.
    private static let windowBits: Int32 = 16 + 15
    /// Large enough that inflate rarely stops for output space, small enough to stay in cache.
    private static let outputSize = 64 * 1024

    private let stream: UnsafeMutablePointer<z_stream>
    private let output: UnsafeMutableBufferPointer<Bytef>
    /// Whether the input so far ends inside a member. Starts true: an empty input is no gzip
    /// file. Once a member ends, the next input byte begins another one.
    private var memberOpen = true

    public init() {
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        output = .allocate(capacity: Self.outputSize)
        let status = czlib_inflateInit2(stream, Self.windowBits)
        // Only allocation failure is possible here, which Swift treats as fatal everywhere else.
        precondition(status == Z_OK, "inflateInit2 failed (\(status))")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
        output.deallocate()
    }

    public func decode(_ input: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        // `avail_in` is 32 bits wide; feed larger inputs in pieces it can describe.
        var rest = input[...]
        while !rest.isEmpty {
            let piece = rest.prefix(Int(UInt32.max))
            try inflate(UnsafeRawBufferPointer(rebasing: piece), into: sink)
            rest = rest.dropFirst(piece.count)
        }
    }

    public func finish() throws {
        if memberOpen {
            throw CodecError.truncated(.gzip)
        }
    }

    /// Inflates `piece` (at most `UInt32.max` bytes) completely. zlib reads only `piece` through
    /// `next_in`/`avail_in` and writes only `output` through `next_out`/`avail_out`; both are
    /// cleared before returning so that the stream never keeps a pointer into the caller's buffer.
    private func inflate(_ piece: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        // zlib declares next_in mutable but never writes through it.
        stream.pointee.next_in = UnsafeMutablePointer(mutating: piece.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(piece.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            stream.pointee.next_out = nil
            stream.pointee.avail_out = 0
        }
        // inflate may hold output back when the buffer fills, so a full buffer means call again
        // even when all input has been taken.
        var outputFull = false
        while stream.pointee.avail_in > 0 || outputFull {
            if !memberOpen {
                inflateReset(stream)
                memberOpen = true
            }
            stream.pointee.next_out = output.baseAddress
            stream.pointee.avail_out = uInt(output.count)
            let status = CZlib.inflate(stream, Z_NO_FLUSH)
            let produced = output.count - Int(stream.pointee.avail_out)
            if produced > 0 {
                try sink(UnsafeRawBufferPointer(start: output.baseAddress, count: produced))
            }
            switch status {
            case Z_STREAM_END:
                // zlib reports the end only once all of the member's output has been written.
                memberOpen = false
                outputFull = false
            case Z_OK, Z_BUF_ERROR:
                // Z_BUF_ERROR only means no progress was possible: the input is used up.
                outputFull = stream.pointee.avail_out == 0
            default:
                throw CodecError.corruptGzip(message(for: status))
            }
        }
    }

    private func message(for status: Int32) -> String {
        guard let message = stream.pointee.msg else { return "zlib error \(status)" }
        return String(cString: message)
    }
}
