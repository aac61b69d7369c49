import BlobStore
import Foundation
import NIOCore
import NIOHTTP1
@testable import Registry
import Testing

/// The one mapping from the layers' errors to what a client is told: every error a request can
/// cause is a 4xx with its OCI code, the server's own failures a 500 that names no internal type.
@Suite("Error mapping")
struct RegistryErrorTests {
    @Test func metadataErrorsAreMapped() {
        let busy = RegistryError(mapping: MetadataError.database(code: 5, message: "database is locked"))
        #expect(busy.status == .serviceUnavailable && busy.code == .tooManyRequests)
        #expect(busy.headers[.retryAfter] == "1")
        // An extended result code of SQLITE_BUSY (SQLITE_BUSY_SNAPSHOT) is busy too.
        #expect(RegistryError(mapping: MetadataError.database(code: 517, message: "")).status == .serviceUnavailable)
        let constraint = RegistryError(mapping: MetadataError.constraint("UNIQUE constraint failed: tags.name"))
        #expect(constraint.status == .badRequest)
        #expect(!constraint.message.contains("UNIQUE"), "the database's words stay in the log")
        for failure in [MetadataError.io("disk I/O error"), .schemaTooNew(version: 9, supported: 4), .corruptValue("x")] {
            let mapped = RegistryError(mapping: failure)
            #expect(mapped.status == .internalServerError && mapped.code == .unknown)
            #expect(mapped.message == "internal error")
        }
    }

    @Test func bodyAndParserErrorsAreTheClients() {
        let tooLarge = RegistryError(mapping: NIOTooManyBytesError(maxBytes: 65536))
        #expect(tooLarge.status == .contentTooLarge && tooLarge.code == .sizeInvalid)
        #expect(tooLarge.message.contains("65536"))
        let parser = RegistryError(mapping: HTTPParserError.invalidChunkSize)
        #expect(parser.status == .badRequest && parser.isClientError)
        #expect(!parser.message.contains("HTTPParserError"))
    }

    @Test func unknownErrorsNameNoInternalType() {
        struct SomeInternalFailure: Error {}
        let mapped = RegistryError(mapping: SomeInternalFailure())
        #expect(mapped.status == .internalServerError)
        #expect(!mapped.message.contains("SomeInternalFailure"))
    }
}
