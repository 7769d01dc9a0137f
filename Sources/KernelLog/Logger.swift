// The serial log's line format: one event per line, readable by a person and parseable by a
// program with the same rule.
//
//     <level> <subsystem> <event> [t_us=N] key=value key=value ...
//     info  pmm    region       t_us=18432 base=0x000000100000 end=0x000007fe0000 size=126.9MiB type=usable
//
// - With a clock (the kernel's: microseconds since boot), every line's first field is `t_us=`.
//   Lines written by `bare(_:)` (the `summary ` line) carry it as their last field instead,
//   written by the caller with `timeField()`, so `^summary result=` still matches. The format
//   is versioned (docs/log-format.md): `formatVersion` is printed at boot.
//
// - The first three columns are padded to fixed widths (6, 7, 12 columns) so a person reads a table.
// - Every later token is `key=value`; a value never contains a space (text values that might are
//   written with `_` for spaces). Split on spaces, then on the first `=`.
// - A line may end with ` | ` and free text (a user program's console output): fields stop there.
// - Addresses are hex with `0x`; counts are decimal; sizes carry human units (B, KiB, MiB, GiB,
//   one decimal when not whole), and any size that must be exact is also given as a count.
//
// Nothing here allocates: a line is streamed to the sink field by field, so the logger works
// before the heap exists and inside the heap's own error paths.

/// A logger: a sink plus the threshold above which lines are dropped.
public struct Logger<Sink: ByteSink> {
    public let sink: Sink
    public var threshold: LogLevel
    /// Microseconds since boot, or nil for a log without time fields. A C function pointer, not
    /// a closure: storing it captures nothing and allocates nothing.
    public var clock: (@convention(c) () -> UInt64)?

    /// The version of the line format this logger writes (docs/log-format.md): 2 = with `t_us=`.
    public static var formatVersion: UInt64 { 2 }

    public init(sink: Sink, threshold: LogLevel, clock: (@convention(c) () -> UInt64)? = nil) {
        self.sink = sink
        self.threshold = threshold
        self.clock = clock
    }

    /// True when a line at `level` would be printed (lets callers skip work for trace logging).
    @inline(__always) public func isEnabled(_ level: LogLevel) -> Bool { level <= threshold }

    /// Starts a line. Finish it with `.end()`; fields are only written when the level is enabled.
    public func line(_ level: LogLevel, _ subsystem: StaticString, _ event: StaticString) -> LogLine<Sink> {
        let line = LogLine(sink: sink, enabled: isEnabled(level))
        guard line.enabled else { return line }
        line.padded(level.name, width: 6)
        line.padded(subsystem, width: 7)
        line.padded(event, width: 12)
        return timeField(line)
    }

    /// Appends ` t_us=N` when the logger has a clock (for `bare` lines, as their last field).
    @discardableResult public func timeField(_ line: LogLine<Sink>) -> LogLine<Sink> {
        guard let clock else { return line }
        return line.dec("t_us", clock())
    }

    /// A line with no leading columns, for lines a program matches by their first word
    /// (e.g. the single `summary ` line before power-off).
    public func bare(_ first: StaticString) -> LogLine<Sink> {
        let line = LogLine(sink: sink, enabled: true)
        line.text(first)
        return line
    }
}

/// One log line being written. Each method appends ` key=value` and returns the line so calls
/// chain; `end()` writes the newline.
public struct LogLine<Sink: ByteSink> {
    let sink: Sink
    public let enabled: Bool

    /// Hex with `0x`, no padding: `key=0x1f`.
    @discardableResult public func hex(_ key: StaticString, _ value: UInt64) -> Self {
        field(key) { NumberFormat.hex(value, minimumDigits: 1, into: sink) }
    }

    /// A physical or virtual address, zero-padded to 12 hex digits so addresses line up.
    @discardableResult public func address(_ key: StaticString, _ value: UInt64) -> Self {
        field(key) { NumberFormat.hex(value, minimumDigits: 12, into: sink) }
    }

    /// Decimal: `key=42`.
    @discardableResult public func dec(_ key: StaticString, _ value: UInt64) -> Self {
        field(key) { NumberFormat.decimal(value, into: sink) }
    }

    @discardableResult public func dec(_ key: StaticString, _ value: Int) -> Self {
        field(key) {
            if value < 0 { sink.write(UInt8(ascii: "-")) }
            NumberFormat.decimal(value.magnitude.toUInt64, into: sink)
        }
    }

    /// Decimal numbers separated by commas, one token: `key=3,0,12`.
    @discardableResult public func list(_ key: StaticString, count: Int, _ value: (Int) -> Int) -> Self {
        field(key) {
            for index in 0 ..< count {
                if index > 0 { sink.write(UInt8(ascii: ",")) }
                NumberFormat.decimal(UInt64(max(0, value(index))), into: sink)
            }
        }
    }

    /// A byte count in human units: `key=126.9MiB`, `key=4KiB`, `key=17B`.
    @discardableResult public func size(_ key: StaticString, _ bytes: UInt64) -> Self {
        field(key) { NumberFormat.humanSize(bytes, into: sink) }
    }

    /// A fixed word: `key=usable`.
    @discardableResult public func text(_ key: StaticString, _ value: StaticString) -> Self {
        field(key) { write(value) }
    }

    /// Bytes from memory (a command line, a module name), spaces shown as `_`, non-printable
    /// bytes as `?`, so the value stays one token.
    @discardableResult public func bytes(_ key: StaticString, _ value: UnsafeRawBufferPointer) -> Self {
        field(key) {
            for byte in value {
                sink.write(byte == 0x20 ? UInt8(ascii: "_") : (byte > 0x20 && byte < 0x7f ? byte : UInt8(ascii: "?")))
            }
        }
    }

    /// A fixed phrase as one token: `key=words_with_underscores` (spaces shown as `_`, as `bytes`).
    @discardableResult public func phrase(_ key: StaticString, _ value: StaticString) -> Self {
        bytes(key, UnsafeRawBufferPointer(start: value.utf8Start, count: value.utf8CodeUnitCount))
    }

    /// A bare word with no key (used after `bare(_:)` or for flags such as `FAILED`).
    @discardableResult public func text(_ word: StaticString) -> Self {
        guard enabled else { return self }
        write(word)
        return self
    }

    /// Ends the line with ` | ` and free text (a program's console output). Key=value parsing stops
    /// at ` | `; control bytes in the text are shown as `?`.
    public func endWithText(_ text: UnsafeRawBufferPointer) {
        guard enabled else { return }
        sink.write(0x20)
        sink.write(UInt8(ascii: "|"))
        sink.write(0x20)
        for byte in text { sink.write(byte >= 0x20 && byte < 0x7f ? byte : UInt8(ascii: "?")) }
        sink.write(0x0A)
    }

    /// Ends the line with ` | ` and a fixed text.
    public func endWithText(_ text: StaticString) {
        endWithText(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Ends the line.
    public func end() {
        guard enabled else { return }
        sink.write(0x0A)
    }

    // MARK: - Writing

    @inline(__always) func field(_ key: StaticString, _ value: () -> Void) -> Self {
        guard enabled else { return self }
        sink.write(0x20)
        write(key)
        sink.write(UInt8(ascii: "="))
        value()
        return self
    }

    func write(_ text: StaticString) {
        let start = text.utf8Start
        for index in 0 ..< text.utf8CodeUnitCount { sink.write(start[index]) }
    }

    /// Writes `text` then spaces up to `width` (at least one space after it).
    func padded(_ text: StaticString, width: Int) {
        write(text)
        var column = text.utf8CodeUnitCount
        repeat {
            sink.write(0x20)
            column += 1
        } while column < width
    }
}

extension UInt {
    @inline(__always) var toUInt64: UInt64 { UInt64(self) }
}
