import BlobStore

/// One page of a subject's referrers, in the order they were pushed (then by digest), and where
/// the next page starts when there is one. A page ends at its record limit or once the
/// annotations it holds pass a byte budget, whichever comes first, so that no response (and no
/// read of the database behind it) holds more than about one manifest's worth of annotations.
public struct ReferrerPage: Sendable, Equatable {
    public var records: [ManifestRecord]
    public var next: Cursor?

    public init(records: [ManifestRecord], next: Cursor?) {
        self.records = records
        self.next = next
    }

    /// The last record of a page: the next page holds the records after it. Written
    /// `CREATED.DIGEST` in the `Link` of a response, so a deleted record does not lose the place.
    public struct Cursor: Sendable, Equatable {
        public var created: Int64
        public var digest: Digest

        public init(created: Int64, digest: Digest) {
            self.created = created
            self.digest = digest
        }

        public init?(parsing text: String) {
            guard let dot = text.firstIndex(of: "."), let created = Int64(text[..<dot]),
                  let digest = try? Digest(parsing: String(text[text.index(after: dot)...]))
            else { return nil }
            self.init(created: created, digest: digest)
        }

        public var description: String { "\(created).\(digest)" }
    }

    /// The bytes of a record's annotations, keys and values, as the page budget counts them.
    static func annotationBytes(_ record: ManifestRecord) -> Int {
        record.annotations?.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count } ?? 0
    }
}
