import BlobStore
import NIOCore

/// A small OCI image manifest over blobs the benchmark pushed, with its exact bytes and digest.
struct ImageManifest: Sendable {
    let bytes: ByteBuffer
    let digest: Digest

    /// `index` goes into an annotation so that every manifest of a run has its own digest; the
    /// layers are declared uncompressed tar so that no registry tries to gunzip random bytes.
    init(config: BlobCorpus.Blob, layers: [BlobCorpus.Blob], index: Int) {
        let layerList = layers.map { layer in
            #"{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"\#(layer.digest)","size":\#(layer.size)}"#
        }.joined(separator: ",")
        let json = #"{"schemaVersion":2,"mediaType":"\#(RegistryClient.manifestMediaType)","#
            + #""config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config.digest)","size":\#(config.size)},"#
            + #""layers":[\#(layerList)],"annotations":{"dev.stowage.bench.index":"\#(index)"}}"#
        bytes = ByteBuffer(string: json)
        var hasher = SHA256Hasher()
        bytes.withUnsafeReadableBytes { hasher.update($0) }
        digest = hasher.finalize()
    }
}
