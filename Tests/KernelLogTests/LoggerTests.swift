import Testing
import KernelLog

/// Records what the logger writes.
final class RecordingSink: ByteSink {
    var bytes: [UInt8] = []
    func write(_ byte: UInt8) { bytes.append(byte) }
    var text: String { String(decoding: bytes, as: UTF8.self) }
}

struct SinkRef: ByteSink {
    let target: RecordingSink
    func write(_ byte: UInt8) { target.write(byte) }
}

func render(_ body: (Logger<SinkRef>) -> Void, threshold: LogLevel = .trace) -> String {
    let recorder = RecordingSink()
    body(Logger(sink: SinkRef(target: recorder), threshold: threshold))
    return recorder.text
}

@Suite struct NumberFormatTests {
    func human(_ bytes: UInt64) -> String {
        let recorder = RecordingSink()
        NumberFormat.humanSize(bytes, into: SinkRef(target: recorder))
        return recorder.text
    }

    func hex(_ value: UInt64, _ digits: Int) -> String {
        let recorder = RecordingSink()
        NumberFormat.hex(value, minimumDigits: digits, into: SinkRef(target: recorder))
        return recorder.text
    }

    @Test func humanSizes() {
        #expect(human(0) == "0B")
        #expect(human(17) == "17B")
        #expect(human(1023) == "1023B")
        #expect(human(1024) == "1KiB")
        #expect(human(1536) == "1.5KiB")
        #expect(human(4096) == "4KiB")
        #expect(human(0x9fc00) == "639KiB")
        #expect(human(128 << 20) == "128MiB")
        #expect(human(0x7ee0000) == "126.9MiB")
        #expect(human((1 << 20) - 1) == "1024KiB")  // 1023.999 KiB rounds up into the next whole
        #expect(human(6 << 30) == "6GiB")
        #expect(human(UInt64.max) == "16777216TiB")
    }

    @Test func hexDigits() {
        #expect(hex(0, 1) == "0x0")
        #expect(hex(0x1f, 1) == "0x1f")
        #expect(hex(0x100000, 12) == "0x000000100000")
        #expect(hex(UInt64.max, 1) == "0xffffffffffffffff")
        #expect(hex(0xfd00000000, 12) == "0x00fd00000000")
    }

    @Test func decimalMatchesSwift() {
        var generator = SystemRandomNumberGenerator()
        for value in [0, 1, 9, 10, 99, 100, UInt64.max]
            + (0 ..< 200).map({ _ in UInt64.random(in: 0 ... UInt64.max, using: &generator) })
        {
            let recorder = RecordingSink()
            NumberFormat.decimal(value, into: SinkRef(target: recorder))
            #expect(recorder.text == String(value))
        }
    }
}

@Suite struct LoggerTests {
    @Test func lineHasPaddedColumnsAndKeyValueFields() {
        let text = render { log in
            log.line(.info, "pmm", "region").address("base", 0x100000).size("size", 0x7ee0000).text("type", "usable").end()
        }
        #expect(text == "info  pmm    region       base=0x000000100000 size=126.9MiB type=usable\n")
    }

    @Test func linesAboveThresholdAreDropped() {
        let text = render(
            { log in
                log.line(.debug, "heap", "alloc").hex("ptr", 1).end()
                log.line(.error, "heap", "double-free").hex("ptr", 0x20).dec("order", 4).end()
            }, threshold: .info)
        #expect(text == "error heap   double-free  ptr=0x20 order=4\n")
    }

    @Test func bareLineAndNegativeNumbers() {
        let text = render { log in
            log.bare("summary").text("result", "pass").dec("delta", -3).end()
        }
        #expect(text == "summary result=pass delta=-3\n")
    }

    @Test func bytesStayOneToken() {
        let text = render { log in
            let raw: [UInt8] = Array("log=debug x\u{1}".utf8)
            raw.withUnsafeBytes { log.line(.info, "boot", "cmdline").bytes("text", $0).end() }
        }
        #expect(text.hasSuffix("text=log=debug_x?\n"))
        #expect(text.split(separator: " ", omittingEmptySubsequences: true).count == 4)
    }

    @Test func freeTextTailKeepsOneLine() {
        let text = render { log in
            Array("hi there\n\u{7}".utf8).withUnsafeBytes { log.line(.info, "user", "output").dec("pid", 1).endWithText($0) }
        }
        #expect(text == "info  user   output       pid=1 | hi there??\n")
    }

    @Test func levelNamesParse() {
        for level in [LogLevel.error, .warn, .info, .debug, .trace] {
            let name = "\(level.name)"
            let parsed = Array(name.utf8).withUnsafeBytes { LogLevel(name: $0) }
            #expect(parsed == level)
        }
        #expect(Array("verbose".utf8).withUnsafeBytes { LogLevel(name: $0) } == nil)
        #expect(Array("".utf8).withUnsafeBytes { LogLevel(name: $0) } == nil)
    }
}

@Suite struct LoggerClockTests {
    static let fixedClock: @convention(c) () -> UInt64 = { 123_456 }

    func renderTimed(_ body: (Logger<SinkRef>) -> Void) -> String {
        let recorder = RecordingSink()
        body(Logger(sink: SinkRef(target: recorder), threshold: .trace, clock: Self.fixedClock))
        return recorder.text
    }

    @Test func timeIsTheFirstFieldAfterTheEventColumn() {
        let text = renderTimed { $0.line(.info, "pmm", "region").hex("base", 0x1000).end() }
        #expect(text == "info  pmm    region       t_us=123456 base=0x1000\n")
    }

    @Test func bareLinesKeepTheirFirstWordAndTakeTimeWhereTheCallerPutsIt() {
        let text = renderTimed { log in log.timeField(log.bare("summary").text("result", "pass")).end() }
        #expect(text == "summary result=pass t_us=123456\n")
    }

    @Test func withoutAClockLinesHaveNoTimeField() {
        let text = render { log in log.timeField(log.line(.info, "pmm", "region").hex("base", 0x1000)).end() }
        #expect(text == "info  pmm    region       base=0x1000\n")
    }

    @Test func disabledLinesStayEmptyEvenWithAClock() {
        let recorder = RecordingSink()
        Logger(sink: SinkRef(target: recorder), threshold: .info, clock: Self.fixedClock).line(.trace, "heap", "alloc").dec(
            "size", 1
        ).end()
        #expect(recorder.text.isEmpty)
    }
}

@Suite struct LoggerListTests {
    @Test func listsAreOneCommaSeparatedToken() {
        let text = render { $0.line(.trace, "heap", "freelists").list("free", count: 3) { [4, 0, 12][$0] }.end() }
        #expect(text == "trace heap   freelists    free=4,0,12\n")
    }
}
