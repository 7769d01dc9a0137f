// Helpers of the heap tests: an error log and a heap over TestSupport's FakePageSource (the
// recording page source). Fill patterns and their checks are TestSupport's (BytePattern.swift).

import UserMalloc
import Testing
import TestSupport

/// Collects the heap's error reports.
final class ErrorLog {
    var errors: [HeapError] = []
}

/// A heap over a fresh fake source whose errors land in the returned log.
func makeHeap(bufferBytes: Int = 512 << 20) -> (UserHeap<FakePageSource>, FakePageSource, ErrorLog) {
    let source = FakePageSource(bufferBytes: bufferBytes)
    let log = ErrorLog()
    let heap = UserHeap(source: source, secret: 0x5EED_CAFE_F00D_D00D) { log.errors.append($0) }
    return (heap, source, log)
}

/// `#require` for an optional computed by a mutating call (the macro cannot capture `inout`).
func unwrap<T>(_ value: T?, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> T {
    try #require(value, sourceLocation: sourceLocation)
}
