import Testing
import KernelLog
@testable import BootOptions

/// Parses `text` the way the kernel does (multiboot1: the image path first) and returns the
/// options with every report as (word, reason name).
func parse(_ text: String, imagePath: Bool = true) -> (BootOptions, [(String, String)]) {
    var reports: [(String, String)] = []
    let bytes = Array(text.utf8)
    let options = bytes.withUnsafeBytes { raw in
        KernelCommandLine.parse(raw, firstWordIsImagePath: imagePath) { word, problem in
            reports.append(
                (
                    String(decoding: word, as: UTF8.self),
                    String(
                        decoding: UnsafeRawBufferPointer(start: problem.name.utf8Start, count: problem.name.utf8CodeUnitCount),
                        as: UTF8.self)
                ))
        }
    }
    return (options, reports)
}

@Suite struct KernelCommandLineTests {
    @Test func defaultsWhenEmpty() {
        let (options, reports) = parse("")
        #expect(options == BootOptions() && reports.isEmpty)
        #expect(parse("build/kernel/Kernel.bin").1.isEmpty)
    }

    @Test func everyKeyApplies() {
        let (options, reports) = parse("img log=debug cpu_limit_ms=2000 fault=null-pointer commit_quota_mb=64")
        #expect(reports.isEmpty)
        #expect(options.logLevel == .debug && options.cpuLimitMilliseconds == 2000 && options.injectedFault == .nullPointer)
        #expect(options.commitQuotaMiB == 64)
    }

    @Test func hostileWordsAreEachReportedOnceAndChangeNothing() {
        let line =
            "img = =x log= cpu_limit_ms= cpu_limit_ms=99999999999999999999999 cpu_limit_ms=0 "
            + "cpu_limit_ms=12ms cpu_limit_ms=-5 fault=reboot log=loud bogus=1 justaword"
        let (options, reports) = parse(line)
        #expect(options == BootOptions())
        #expect(
            reports.map(\.0) == [
                "=", "=x", "log=", "cpu_limit_ms=", "cpu_limit_ms=99999999999999999999999", "cpu_limit_ms=0",
                "cpu_limit_ms=12ms", "cpu_limit_ms=-5", "fault=reboot", "log=loud", "bogus=1", "justaword",
            ])
        #expect(
            reports.map(\.1) == [
                "empty-key", "empty-key", "empty-value", "empty-value", "out-of-range", "out-of-range",
                "not-a-number", "not-a-number", "unknown-value", "unknown-value", "unknown-key", "not-key-value",
            ])
    }

    @Test func commitQuotaIsCheckedAsEveryNumber() {
        let (options, reports) = parse(
            "img commit_quota_mb=0 commit_quota_mb=1048577 commit_quota_mb=8M commit_quota_mb=16 commit_quota_mb=32")
        #expect(options.commitQuotaMiB == 16)
        #expect(reports.map(\.1) == ["out-of-range", "out-of-range", "not-a-number", "repeated-key"])
    }

    @Test func repeatedKeysKeepTheFirstValidOne() {
        let (options, reports) = parse("img log=bogus log=warn log=trace cpu_limit_ms=5 cpu_limit_ms=6")
        #expect(options.logLevel == .warn && options.cpuLimitMilliseconds == 5)
        #expect(reports.map(\.1) == ["unknown-value", "repeated-key", "repeated-key"])
        #expect(reports.map(\.0) == ["log=bogus", "log=trace", "cpu_limit_ms=6"])
    }

    @Test func monitorIsTheOneBareWord() {
        let (options, reports) = parse("img monitor log=debug monitor monitors")
        #expect(options.monitor && options.logLevel == .debug)
        #expect(reports.map(\.0) == ["monitor", "monitors"])
        #expect(reports.map(\.1) == ["repeated-key", "not-key-value"])
        #expect(!parse("img log=info").0.monitor)
    }

    @Test func rangeEdges() {
        #expect(parse("img cpu_limit_ms=1").0.cpuLimitMilliseconds == 1)
        #expect(parse("img cpu_limit_ms=3600000").0.cpuLimitMilliseconds == 3_600_000)
        #expect(parse("img cpu_limit_ms=3600001").1.map(\.1) == ["out-of-range"])
        #expect(parse("img cpu_limit_ms=18446744073709551615").1.map(\.1) == ["out-of-range"])
        #expect(parse("img cpu_limit_ms=18446744073709551616").1.map(\.1) == ["out-of-range"])
        #expect(parse("img cpu_limit_ms=000000000000000000000000000042").0.cpuLimitMilliseconds == 42)
    }

    @Test func decimalIsOverflowSafe() {
        func value(_ text: String) -> UInt64? { Array(text.utf8).withUnsafeBytes { KernelCommandLine.decimal($0) } }
        #expect(value("18446744073709551615") == UInt64.max)
        #expect(value("18446744073709551616") == nil)
        #expect(value("99999999999999999999") == nil)
        #expect(value("") == nil && value("1a") == nil && value("+1") == nil)
    }

    @Test func separatorsAndNul() {
        let (options, reports) = parse("img\tlog=debug\n\ncpu_limit_ms=7\0log=trace junk")
        #expect(options.logLevel == .debug && options.cpuLimitMilliseconds == 7 && reports.isEmpty)
        #expect(parse("log=warn", imagePath: false).0.logLevel == .warn)
    }

    /// Random byte soup: never a crash, and each word is either used or reported, exactly once.
    @Test func randomLinesAccountForEveryWord() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("log=cpu_limit_ms fault=0123456789 \t=x".utf8) + [0xFF, 0x01]
        for _ in 0 ..< 2000 {
            let length = Int.random(in: 0 ... 80, using: &generator)
            let bytes = (0 ..< length).map { _ in alphabet.randomElement(using: &generator)! }
            var words = 0
            bytes.withUnsafeBytes { KernelCommandLine.forEachWord(in: $0) { _ in words += 1 } }
            var reported = 0
            let options = bytes.withUnsafeBytes {
                KernelCommandLine.parse($0, firstWordIsImagePath: false) { _, _ in reported += 1 }
            }
            // At most one word per key (three keys) is used; every other word is reported.
            #expect(reported <= words && reported >= words - 3)
            #expect(BootOptions.cpuLimitRange.contains(options.cpuLimitMilliseconds))
        }
    }
}
