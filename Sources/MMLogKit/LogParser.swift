// Reads a serial log into records. Whatever is not a log line (a program writing to the console
// directly, a line cut off by a crash or by QEMU's exit, bytes from a terminal) becomes a
// diagnostic with its line number, and parsing carries on with the next line.

public struct ParsedLog: Sendable {
    public var records: [LogRecord]
    public var diagnostics: [LogDiagnostic]
    /// From the boot `log-format version=N` line; 1 when the log has none (before time fields).
    public var formatVersion: Int
    public var lineCount: Int
}

public enum LogParser {
    public static let levels: Set<String> = ["error", "warn", "info", "debug", "trace"]
    /// The newest format this parser knows (docs/log-format.md).
    public static let newestFormatVersion = 2
    /// Kernel/Monitor's prompt; the rest of such a line is the command typed.
    public static let monitorPrompt = "mm> "

    public static func parse(_ text: String) -> ParsedLog {
        var records: [LogRecord] = []
        var diagnostics: [LogDiagnostic] = []
        var version: Int? = nil
        // "\r\n" (the serial port's line end) is one Character in Swift: split on any newline.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        let endsWithNewline = text.last?.isNewline ?? true
        if endsWithNewline, lines.last == "" { lines.removeLast() }
        records.reserveCapacity(lines.count)
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            var line = Substring(rawLine)
            while line.last == "\r" { line = line.dropLast() }
            if line.isEmpty { continue }
            switch parseLine(line, number: number) {
            case .record(let record):
                if record.subsystem == "boot", record.event == "log-format" {
                    version = record.integer("version").map(Int.init)
                    if let version, version > newestFormatVersion {
                        diagnostics.append(
                            LogDiagnostic(
                                lineNumber: number, kind: .olderFormat,
                                message:
                                    "log format version \(version) is newer than this tool knows (\(newestFormatVersion)): reading what it can"
                            ))
                    }
                }
                records.append(record)
            case .foreign(let reason):
                diagnostics.append(LogDiagnostic(lineNumber: number, kind: .foreignLine, message: reason))
            }
        }
        if !endsWithNewline, let last = lines.last, !last.isEmpty {
            diagnostics.append(
                LogDiagnostic(
                    lineNumber: lines.count, kind: .truncated,
                    message: "the log ends in the middle of a line (the run was cut off?)"))
        }
        if version == nil {
            diagnostics.append(
                LogDiagnostic(
                    lineNumber: nil, kind: .olderFormat,
                    message:
                        "no `boot log-format` line: read as format version 1 (no t_us= fields; line numbers stand in for time)"))
        }
        return ParsedLog(records: records, diagnostics: diagnostics, formatVersion: version ?? 1, lineCount: lines.count)
    }

    enum LineResult {
        case record(LogRecord)
        case foreign(String)
    }

    static func parseLine(_ line: Substring, number: Int) -> LineResult {
        var body = line
        var text: String? = nil
        if let bar = line.firstRange(of: " | ") {
            body = line[line.startIndex ..< bar.lowerBound]
            text = String(line[bar.upperBound...])
        }
        // The live monitor's prompt with what was typed: a record of the session, not noise.
        if line.hasPrefix(monitorPrompt) {
            return .record(
                LogRecord(
                    lineNumber: number, level: "input", subsystem: "mon", event: "command", fields: [:],
                    text: String(line.dropFirst(monitorPrompt.count))))
        }
        let tokens = body.split(separator: " ", omittingEmptySubsequences: true)
        guard let first = tokens.first else { return .foreign("empty") }
        let level: String, subsystem: String, event: String
        let fieldTokens: ArraySlice<Substring>
        if first == "summary" {
            (level, subsystem, event) = ("summary", "summary", "summary")
            fieldTokens = tokens.dropFirst()
        } else if levels.contains(String(first)) {
            guard tokens.count >= 3, !tokens[1].contains("="), !tokens[2].contains("=") else {
                return .foreign("starts with a level but has no subsystem and event columns: \(preview(line))")
            }
            (level, subsystem, event) = (String(first), String(tokens[1]), String(tokens[2]))
            fieldTokens = tokens.dropFirst(3)
        } else {
            return .foreign("not a log line (program output or noise?): \(preview(line))")
        }
        var fields: [String: String] = [:]
        for token in fieldTokens {
            guard let equals = token.firstIndex(of: "=") else {
                fields[String(token)] = ""  // bare words such as FAILED
                continue
            }
            fields[String(token[..<equals])] = String(token[token.index(after: equals)...])
        }
        let time = fields["t_us"].flatMap { UInt64($0) }
        return .record(
            LogRecord(
                lineNumber: number, level: level, subsystem: subsystem, event: event,
                fields: fields, text: text, timeMicroseconds: time))
    }

    static func preview(_ line: Substring) -> String {
        line.count > 60 ? "\"\(line.prefix(60))...\"" : "\"\(line)\""
    }
}
