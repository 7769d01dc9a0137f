// Console output of a user program: bytes go to the C `putchar` (User/Runtime/runtime.c), which
// buffers a line and writes it with one write syscall. Lines use the kernel log's format
// (KernelLog: `word key=value ...`), so a test script parses user and kernel lines alike.
// Nothing here allocates: it is safe inside the heap's error handler.
import KernelLog

@_extern(c, "putchar") func c_putchar(_ character: Int32) -> Int32
@_extern(c, "swiftmm_console_flush") func swiftmm_console_flush()

/// The console as a KernelLog byte sink.
struct ConsoleSink: ByteSink {
    func write(_ byte: UInt8) { _ = c_putchar(Int32(byte)) }
}

enum Console {
    /// A line starting with `word`; add fields with .dec/.hex/.text and finish with .end().
    static func line(_ word: StaticString) -> LogLine<ConsoleSink> {
        Logger(sink: ConsoleSink(), threshold: .info).bare(word)
    }

    /// A whole fixed line.
    static func say(_ text: StaticString) {
        line(text).end()
    }

    /// Writes buffered bytes now (before an exit, or before an access expected to fault).
    static func flush() { swiftmm_console_flush() }
}

extension LogLine {
    /// A bare word after a space: `memtest ok` (KernelLog's one-argument `text` adds no space).
    @discardableResult func word(_ value: StaticString) -> Self {
        text(" ")
        return text(value)
    }
}
