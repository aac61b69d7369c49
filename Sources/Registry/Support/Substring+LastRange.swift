extension Substring {
    /// Where `marker` (ASCII) last occurs. Compared on UTF-8 bytes without Foundation, whose
    /// `range(of:options:)` costs more than the rest of a manifest GET's routing; the match
    /// starts at an ASCII byte, so its bounds are valid indices of `self`.
    func lastRange(of marker: StaticString) -> Range<Index>? {
        let needle = UnsafeBufferPointer(start: marker.utf8Start, count: marker.utf8CodeUnitCount)
        let bytes = utf8
        var end = bytes.endIndex
        while let start = bytes.index(end, offsetBy: -needle.count, limitedBy: bytes.startIndex) {
            if bytes[start..<end].elementsEqual(needle) { return start..<end }
            end = bytes.index(before: end)
        }
        return nil
    }
}
