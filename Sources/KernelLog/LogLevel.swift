// Log levels, most severe first. A line is printed when its level <= the logger's threshold.

public enum LogLevel: UInt8, Comparable, Sendable {
    case error = 0, warn, info, debug, trace

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    /// The name as it appears in the first column (and on the kernel command line: `log=debug`).
    public var name: StaticString {
        switch self {
        case .error: "error"
        case .warn: "warn"
        case .info: "info"
        case .debug: "debug"
        case .trace: "trace"
        }
    }

    /// Parses a level name (`error`, `warn`, `info`, `debug`, `trace`) from raw bytes.
    public init?(name bytes: UnsafeRawBufferPointer) {
        var raw: UInt8 = 0
        while let level = LogLevel(rawValue: raw) {
            if equals(bytes, level.name) {
                self = level
                return
            }
            raw += 1
        }
        return nil
    }
}

/// Byte-wise comparison of a raw buffer with a static string (no String, no allocation).
func equals(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
    guard bytes.count == text.utf8CodeUnitCount else { return false }
    let expected = text.utf8Start
    for index in 0 ..< bytes.count where bytes[index] != expected[index] { return false }
    return true
}
