// One parsed serial-log line (docs/log-format.md): level, subsystem and event columns, the
// key=value fields, the free text after ` | `, and the line number it came from.

public struct LogRecord: Sendable, Equatable {
    public var lineNumber: Int
    /// error, warn, info, debug, trace; "summary" for the summary line.
    public var level: String
    public var subsystem: String
    public var event: String
    public var fields: [String: String]
    /// Text after ` | ` (a program's console output), if any.
    public var text: String?
    /// Microseconds since boot (format version 2); nil in older logs.
    public var timeMicroseconds: UInt64?

    public init(
        lineNumber: Int, level: String, subsystem: String, event: String,
        fields: [String: String], text: String? = nil, timeMicroseconds: UInt64? = nil
    ) {
        self.lineNumber = lineNumber
        self.level = level
        self.subsystem = subsystem
        self.event = event
        self.fields = fields
        self.text = text
        self.timeMicroseconds = timeMicroseconds
    }

    public var isSummary: Bool { level == "summary" }

    public subscript(key: String) -> String? { fields[key] }

    /// A decimal (or 0x-hex) field as an integer.
    public func integer(_ key: String) -> Int64? {
        guard let raw = fields[key] else { return nil }
        return LogValue.integer(raw)
    }

    public func unsigned(_ key: String) -> UInt64? {
        guard let raw = fields[key] else { return nil }
        return LogValue.unsigned(raw)
    }
}

/// Reading field values: decimal, `0x` hex, and human sizes (`4KiB`, `1.5MiB`).
public enum LogValue {
    public static func unsigned(_ raw: String) -> UInt64? {
        if raw.hasPrefix("0x") { return UInt64(raw.dropFirst(2), radix: 16) }
        return UInt64(raw)
    }

    public static func integer(_ raw: String) -> Int64? {
        if raw.hasPrefix("-") { return Int64(raw) }
        return unsigned(raw).flatMap { $0 <= UInt64(Int64.max) ? Int64($0) : nil }
    }

    /// `126.9MiB` -> bytes (rounded: human sizes carry one decimal).
    public static func bytes(_ raw: String) -> UInt64? {
        let units: [(String, Double)] = [
            ("TiB", 1_099_511_627_776), ("GiB", 1_073_741_824), ("MiB", 1_048_576), ("KiB", 1024), ("B", 1),
        ]
        for (suffix, scale) in units where raw.hasSuffix(suffix) {
            guard let number = Double(raw.dropLast(suffix.count)) else { return nil }
            return UInt64((number * scale).rounded())
        }
        return nil
    }
}

/// Something the parser or the model could not take at face value, with where it was.
public struct LogDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        case foreignLine = "not-a-log-line"
        case malformed = "malformed"
        case unknownEvent = "unknown-event"
        case truncated = "truncated"
        case olderFormat = "older-format"
        case inconsistent = "inconsistent"
    }

    public var lineNumber: Int?
    public var kind: Kind
    public var message: String

    public init(lineNumber: Int?, kind: Kind, message: String) {
        self.lineNumber = lineNumber
        self.kind = kind
        self.message = message
    }

    public var description: String {
        (lineNumber.map { "line \($0): " } ?? "") + "\(kind.rawValue): \(message)"
    }
}
