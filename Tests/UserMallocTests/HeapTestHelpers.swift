// Helpers of the heap tests: an error log, a heap over TestSupport's FakePageSource (the
// recording page source), fill patterns and their checks.

#if canImport(Glibc)
import Glibc
#endif
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

/// Fills `byteCount` bytes with `pattern`.
func fill(_ pointer: UnsafeMutableRawPointer, _ byteCount: Int, with pattern: UInt8) {
    memset(pointer, Int32(pattern), byteCount)
}

/// Whether all `byteCount` bytes equal `pattern` (memcmp of the block against itself shifted by
/// one byte proves all bytes equal, at memcmp speed even in debug builds).
func holds(_ pointer: UnsafeMutableRawPointer, _ byteCount: Int, _ pattern: UInt8) -> Bool {
    guard byteCount > 0 else { return true }
    return pointer.load(as: UInt8.self) == pattern && memcmp(pointer, pointer + 1, byteCount - 1) == 0
}

/// `#require` for an optional computed by a mutating call (the macro cannot capture `inout`).
func unwrap<T>(_ value: T?, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> T {
    try #require(value, sourceLocation: sourceLocation)
}
