import CStowageSystem
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, for the tests that run programs. Not Foundation's
/// `Process`: its `run()` on Linux (Swift 6.3.1) reads `/proc/self/fd` entries 256 bytes at a
/// time past glibc's buffer and crashes now and then (swift-corelibs-foundation PR #5472); it
/// took a whole CI run down once the suite ran enough children beside each other.
///
/// The child gets the given standard streams (or this process's), every other descriptor
/// closed, and the environment and folder it is given.
public final class Spawned: @unchecked Sendable {
    // @unchecked: the pid never changes; the exit status is behind its lock.
    public enum Stream {
        case inherit
        case handle(FileHandle)
        /// The write end of the pipe goes to the child, and is closed here once it has it.
        case pipe(Pipe)
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let processIdentifier: pid_t
    /// The raw wait status, once the child has been reaped.
    private let status = Mutex<Int32?>(nil)

    public init(
        _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, directory: URL? = nil,
        input: Stream = .inherit, output: Stream = .inherit, error: Stream = .inherit
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (stream, target) in [(input, Int32(0)), (output, 1), (error, 2)] {
            switch stream {
            case .inherit: break
            case .handle(let handle): posix_spawn_file_actions_adddup2(&actions, handle.fileDescriptor, target)
            case .pipe(let pipe): posix_spawn_file_actions_adddup2(&actions, pipe.fileHandleForWriting.fileDescriptor, target)
            }
        }
        let prepared = stowage_spawn_close_from_and_chdir(&actions, 3, directory?.path)
        guard prepared == 0 else { throw Failure(description: "cannot prepare to start \(executable.path): errno \(prepared)") }

        let environment = environment ?? ProcessInfo.processInfo.environment
        let argv = ([executable.path] + arguments).map { strdup($0) }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        // In bounds: both arrays end with the nil that posix_spawn stops at.
        let result = (argv + [nil]).withUnsafeBufferPointer { argvBuffer in
            (envp + [nil]).withUnsafeBufferPointer { envpBuffer in
                posix_spawn(&pid, executable.path, &actions, nil, argvBuffer.baseAddress!, envpBuffer.baseAddress!)
            }
        }
        guard result == 0 else {
            throw Failure(description: "cannot start \(executable.path): \(String(cString: strerror(result)))")
        }
        processIdentifier = pid
        for case .pipe(let pipe) in [input, output, error] { try? pipe.fileHandleForWriting.close() }
    }

    /// Whether the child still runs (reaping it if it has ended).
    public var isRunning: Bool {
        status.withLock { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            if waitpid(processIdentifier, &raw, WNOHANG) == processIdentifier { status = raw }
            return status == nil
        }
    }

    /// Blocks until the child ends. Call it off the cooperative pool or once it has ended.
    public func waitUntilExit() {
        guard isRunning else { return }
        var raw: Int32 = 0
        while waitpid(processIdentifier, &raw, 0) == -1 && errno == EINTR {}
        status.withLock { if $0 == nil { $0 = raw } }
    }

    /// The exit code, or the signal that ended the child.
    public var terminationStatus: Int32 {
        let raw = status.withLock { $0 } ?? 0
        return terminatedBySignal ? raw & 0x7F : (raw >> 8) & 0xFF
    }

    /// Whether a signal ended the child (as opposed to an exit).
    public var terminatedBySignal: Bool {
        let raw = status.withLock { $0 } ?? 0
        return raw & 0x7F != 0 && raw & 0x7F != 0x7F
    }

    public func signal(_ number: Int32) {
        kill(processIdentifier, number)
    }
}
