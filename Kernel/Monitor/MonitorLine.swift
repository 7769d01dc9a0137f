// One typed command line and its words, in fixed-capacity storage: the monitor parses without
// touching the heap, so `kalloc` and `kfree` show the heap's own work and nothing else.
import KernelLog

struct MonitorLine {
    static let capacity = 120
    static let maximumWords = 4
    var bytes = InlineArray<120, UInt8>(repeating: 0)
    var count = 0
    /// True when more was typed than fits (the line is then rejected whole).
    var overflowed = false

    /// Reads one line from the serial port, echoing it; Backspace/DEL erase; CR, LF or CRLF end it.
    static func read() -> MonitorLine {
        var line = MonitorLine()
        while true {
            let byte = Monitor.readByte()
            switch byte {
            case 0x0D, 0x0A:
                if byte == 0x0D {
                    skipLineFeed = true
                } else if skipLineFeed {
                    skipLineFeed = false
                    continue
                }
                SerialPort.write(0x0A)
                return line
            case 0x08, 0x7F:
                skipLineFeed = false
                guard line.count > 0 else { continue }
                line.count -= 1
                SerialPort.write(0x08)
                SerialPort.write(0x20)
                SerialPort.write(0x08)
            case 0x20 ..< 0x7F:
                skipLineFeed = false
                guard line.count < capacity else {
                    line.overflowed = true
                    continue
                }
                line.bytes[line.count] = byte
                line.count += 1
                SerialPort.write(byte)
            default:
                skipLineFeed = false  // other control bytes are ignored
            }
        }
    }

    /// A CR was the last line end: a LF right after it belongs to it (terminals send CRLF).
    nonisolated(unsafe) private static var skipLineFeed = false

    /// The words of the line (split on spaces), at most `maximumWords`; nil when there are more.
    func words() -> MonitorWords? {
        var words = MonitorWords()
        var index = 0
        while index < count {
            while index < count && bytes[index] == 0x20 { index += 1 }
            guard index < count else { break }
            let start = index
            while index < count && bytes[index] != 0x20 { index += 1 }
            guard words.count < Self.maximumWords else { return nil }
            words.ranges[words.count] = (start, index - start)
            words.count += 1
        }
        return words
    }

    /// Calls `body` with the bytes of word `index`.
    func withWord<R>(_ words: MonitorWords, _ index: Int, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        var copy = bytes
        let (start, length) = words.ranges[index]
        return withUnsafeBytes(of: &copy) { body(UnsafeRawBufferPointer(rebasing: $0[start ..< (start + length)])) }
    }

    func word(_ words: MonitorWords, _ index: Int, is name: StaticString) -> Bool {
        withWord(words, index) { word in
            word.count == name.utf8CodeUnitCount && (0 ..< word.count).allSatisfy { word[$0] == name.utf8Start[$0] }
        }
    }

    /// A number: decimal or 0x-hex, with an optional K, M or G suffix (x 1024^n) for sizes.
    func number(_ words: MonitorWords, _ index: Int) -> UInt64? {
        withWord(words, index) { MonitorNumber.parse($0) }
    }
}

struct MonitorWords {
    var ranges = InlineArray<4, (Int, Int)>(repeating: (0, 0))
    var count = 0
}

enum MonitorNumber {
    static func parse(_ text: UnsafeRawBufferPointer) -> UInt64? {
        guard !text.isEmpty else { return nil }
        var digits = text.count
        var shift: UInt64 = 0
        switch text[text.count - 1] | 0x20 {
        case UInt8(ascii: "k"):
            shift = 10
            digits -= 1
        case UInt8(ascii: "m"):
            shift = 20
            digits -= 1
        case UInt8(ascii: "g"):
            shift = 30
            digits -= 1
        default: break
        }
        let isHex = digits > 2 && text[0] == UInt8(ascii: "0") && text[1] | 0x20 == UInt8(ascii: "x")
        if isHex && shift == 30 { return nil }  // "0x...g" is not a hex digit anyway; keep it simple
        var value: UInt64 = 0
        for index in (isHex ? 2 : 0) ..< digits {
            let byte = text[index] | (isHex ? 0x20 : 0)
            let digit: UInt64
            switch byte {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"): digit = UInt64(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a") ... UInt8(ascii: "f") where isHex: digit = UInt64(byte - UInt8(ascii: "a") + 10)
            default: return nil
            }
            let (scaled, overflow) = value.multipliedReportingOverflow(by: isHex ? 16 : 10)
            guard !overflow, scaled <= UInt64.max - digit else { return nil }
            value = scaled + digit
        }
        guard digits > (isHex ? 2 : 0), value <= UInt64.max >> shift else { return nil }
        return value << shift
    }
}
