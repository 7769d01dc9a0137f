// Shared by every fuzz target binary (compiled into each): a failed check prints what broke and
// aborts, so libFuzzer reports a crash and saves the input that caused it (make test keeps it
// under build/fuzz/). Traps from preconditions and ASan reports end the run the same way.
#if canImport(Glibc)
import Glibc
#endif

/// Stops the fuzz run with `message` on stderr when `condition` is false.
@inline(__always)
func fuzzRequire(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition {
        fputs("fuzz check failed: \(message())\n", stderr)
        abort()
    }
}

/// The fuzz input as a raw buffer.
@inline(__always)
func fuzzInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
    UnsafeRawBufferPointer(start: data, count: data == nil ? 0 : size)
}
