import Testing
import MMLogKit

@Suite struct ParserTests {
    @Test func versionTwoLogParsesCompletelyWithTimes() {
        let log = LogParser.parse(Fixture.text("trace-hello-32M.log"))
        #expect(log.formatVersion == 2)
        #expect(log.diagnostics.isEmpty)
        #expect(log.records.count == log.lineCount)
        #expect(log.records.allSatisfy { $0.timeMicroseconds != nil })
        let times = log.records.compactMap(\.timeMicroseconds)
        #expect(zip(times, times.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(log.records.last?.isSummary == true)
    }

    @Test func columnsFieldsAndTextAreSplitAsTheFormatSays() {
        let log = LogParser.parse(
            "info  user   output       t_us=12 pid=1 prog=hello | hello x=1 from | ring 3\r\nsummary result=pass processes=1 t_us=99\r\n"
        )
        #expect(log.records.count == 2)
        let output = log.records[0]
        #expect(output.level == "info" && output.subsystem == "user" && output.event == "output")
        #expect(output.fields == ["t_us": "12", "pid": "1", "prog": "hello"])
        #expect(output.text == "hello x=1 from | ring 3")
        #expect(log.records[1].isSummary && log.records[1]["result"] == "pass" && log.records[1].timeMicroseconds == 99)
    }

    @Test func foreignLinesAndATruncatedEndAreReportedWithLineNumbersAndParsingCarriesOn() {
        let lines = Fixture.lines("trace-hello-32M.log")
        var mixed = Array(lines[0 ..< 20])
        mixed.append("hello from a program writing straight to the port")  // line 21
        mixed.append("info")  // line 22: a level, no columns
        mixed += lines[20 ..< 40]
        let cut = lines[40].prefix(25)  // line 43, no newline
        let text = mixed.joined(separator: "\n") + "\n" + cut
        let log = LogParser.parse(text)
        #expect(log.diagnostics.map(\.lineNumber) == [21, 22, 43])
        #expect(log.diagnostics.map(\.kind) == [.foreignLine, .foreignLine, .truncated])
        #expect(log.records.count == 41)  // 40 whole lines, and the cut one read as far as it goes
    }

    @Test func aLogWithoutAVersionLineIsReadAsVersionOne() {
        let log = LogParser.parse(Fixture.text("v1-info.log"))
        #expect(log.formatVersion == 1)
        #expect(log.diagnostics.contains { $0.kind == .olderFormat && $0.lineNumber == nil })
        #expect(log.records.allSatisfy { $0.timeMicroseconds == nil })
        #expect(log.records.contains { $0.isSummary })
    }

    @Test func aNewerVersionIsReadAsFarAsItGoesAndSaidSo() {
        let log = LogParser.parse("info  boot   log-format   t_us=1 version=9\ninfo  boot   start        t_us=2 kernel=x\n")
        #expect(log.formatVersion == 9)
        #expect(log.diagnostics.first?.lineNumber == 1)
        #expect(log.records.count == 2)
    }

    @Test func valuesReadAsNumbersAndSizes() {
        #expect(LogValue.unsigned("0x1f") == 31)
        #expect(LogValue.integer("-22") == -22)
        #expect(LogValue.bytes("126.9MiB") == 133_064_294)
        #expect(LogValue.bytes("4KiB") == 4096)
        #expect(LogValue.bytes("4 parsecs") == nil)
    }
}

@Suite struct MonitorTranscriptTests {
    @Test func promptLinesAreCommandsNotNoise() {
        let text =
            "info  boot   log-format   t_us=1 version=2\r\nmm> kalloc 100\r\ninfo  mon    kalloc       t_us=5 ptr=0x000000840020 size=100\r\nmm> \r\n"
        let log = LogParser.parse(text)
        #expect(log.diagnostics.isEmpty)
        #expect(log.records.map(\.event) == ["log-format", "command", "kalloc", "command"])
        #expect(log.records[1].text == "kalloc 100" && log.records[1].subsystem == "mon")
    }
}
