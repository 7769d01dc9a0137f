// The kernel command line (`-append` in QEMU, the multiboot command line): space-separated
// `key=value` words, parsed without allocating (it runs before the kernel heap exists).
//   log=error|warn|info|debug|trace     log threshold (default info)
//   cpu_limit_ms=N                       CPU time (ring 3 + kernel on its behalf) a program may
//                                        use before it is killed: 1 ... 3 600 000 (default 10 000)
//   commit_quota_mb=N                    the most memory one process may have committed (strict
//                                        commit: reserved private pages + its page tables), in MiB:
//                                        1 ... 1 048 576 (default 1024)
//   fault=stack-overflow|null-pointer|stack-smash
//                                        make the kernel fail on purpose after boot (tests)
//   monitor                              after the boot demo, an `mm>` prompt on the serial
//                                        console (Kernel/Monitor) instead of running every module
// Every word the kernel does not use is reported once, with the reason (`CommandLineProblem`),
// and changes nothing: an unknown key, a word without `=` or with an empty key or value, a value
// that is not a number, out of range or unknown, a key given again (the first one counts).
// Numbers are decimal digits only, checked for overflow digit by digit. With multiboot1 the
// loader puts the image's file name first (QEMU, GRUB): `firstWordIsImagePath` skips it.
import KernelLog

/// A fault the kernel makes on purpose (`fault=`), to show that every exception is reported.
public enum InjectedFaultName: Sendable, Equatable {
    case stackOverflow, nullPointer, stackSmash

    public var name: StaticString {
        switch self {
        case .stackOverflow: "stack-overflow"
        case .nullPointer: "null-pointer"
        case .stackSmash: "stack-smash"
        }
    }
}

/// What the command line sets.
public struct BootOptions: Sendable, Equatable {
    public var logLevel: LogLevel = .info
    public var cpuLimitMilliseconds: UInt64 = 10_000
    public var commitQuotaMiB: UInt64 = 1024
    public var injectedFault: InjectedFaultName? = nil
    /// The one bare word the kernel uses: `monitor`.
    public var monitor = false

    public static let cpuLimitRange: ClosedRange<UInt64> = 1 ... 3_600_000
    public static let commitQuotaRange: ClosedRange<UInt64> = 1 ... 1_048_576

    public init() {}
}

/// Why a word was not used.
public enum CommandLineProblem: Error, Sendable, Equatable {
    case notKeyValue, emptyKey, unknownKey, emptyValue, notANumber, outOfRange, unknownValue, repeatedKey

    public var name: StaticString {
        switch self {
        case .notKeyValue: "not-key-value"
        case .emptyKey: "empty-key"
        case .unknownKey: "unknown-key"
        case .emptyValue: "empty-value"
        case .notANumber: "not-a-number"
        case .outOfRange: "out-of-range"
        case .unknownValue: "unknown-value"
        case .repeatedKey: "repeated-key"
        }
    }
}

public enum KernelCommandLine {
    /// Parses `text` (stops at the first NUL). `report` is called once per unused word, in order,
    /// with the word's bytes (a slice of `text`) and the reason.
    public static func parse(
        _ text: UnsafeRawBufferPointer, firstWordIsImagePath: Bool,
        report: (UnsafeRawBufferPointer, CommandLineProblem) -> Void
    ) -> BootOptions {
        var parser = Parser()
        var wordIndex = 0
        forEachWord(in: text) { word in
            defer { wordIndex += 1 }
            if wordIndex == 0 && firstWordIsImagePath { return }
            if let problem = parser.apply(word) { report(word, problem) }
        }
        return parser.options
    }

    /// Words are separated by spaces and control characters; a NUL ends the text.
    static func forEachWord(in text: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var end = 0
        while end < text.count && text[end] != 0 { end += 1 }
        var wordStart = 0
        for index in 0 ... end where index == end || text[index] <= 0x20 {
            if index > wordStart { body(UnsafeRawBufferPointer(rebasing: text[wordStart ..< index])) }
            wordStart = index + 1
        }
    }

    /// A decimal number, or nil for anything else (empty, a non-digit, more than 2^64 - 1).
    public static func decimal(_ text: UnsafeRawBufferPointer) -> UInt64? {
        guard !text.isEmpty else { return nil }
        var value: UInt64 = 0
        for byte in text {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1 && !overflow2 else { return nil }
            value = sum
        }
        return value
    }
}

/// The options so far and which keys were seen.
struct Parser {
    var options = BootOptions()
    var seenLog = false, seenCPULimit = false, seenFault = false, seenCommitQuota = false

    mutating func apply(_ word: UnsafeRawBufferPointer) -> CommandLineProblem? {
        if same(word, "monitor") {
            if options.monitor { return .repeatedKey }
            options.monitor = true
            return nil
        }
        guard let equals = word.firstIndex(of: UInt8(ascii: "=")) else { return .notKeyValue }
        let key = UnsafeRawBufferPointer(rebasing: word[..<equals])
        let value = UnsafeRawBufferPointer(rebasing: word[(equals + 1)...])
        if key.isEmpty { return .emptyKey }
        if same(key, "log") { return applyLog(value) }
        if same(key, "cpu_limit_ms") {
            switch Self.number(value, in: BootOptions.cpuLimitRange, alreadySeen: seenCPULimit) {
            case .success(let number): (seenCPULimit, options.cpuLimitMilliseconds) = (true, number)
            case .failure(let problem): return problem
            }
            return nil
        }
        if same(key, "commit_quota_mb") {
            switch Self.number(value, in: BootOptions.commitQuotaRange, alreadySeen: seenCommitQuota) {
            case .success(let number): (seenCommitQuota, options.commitQuotaMiB) = (true, number)
            case .failure(let problem): return problem
            }
            return nil
        }
        if same(key, "fault") { return applyFault(value) }
        return .unknownKey
    }

    private mutating func applyLog(_ value: UnsafeRawBufferPointer) -> CommandLineProblem? {
        if seenLog { return .repeatedKey }
        if value.isEmpty { return .emptyValue }
        guard let level = LogLevel(name: value) else { return .unknownValue }
        seenLog = true
        options.logLevel = level
        return nil
    }

    /// A decimal key's value, or its problem: repeated, empty, not a number, out of `range` (in that order).
    private static func number(
        _ value: UnsafeRawBufferPointer, in range: ClosedRange<UInt64>, alreadySeen: Bool
    ) -> Result<UInt64, CommandLineProblem> {
        if alreadySeen { return .failure(.repeatedKey) }
        if value.isEmpty { return .failure(.emptyValue) }
        guard value.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return .failure(.notANumber) }
        guard let number = KernelCommandLine.decimal(value), range.contains(number) else { return .failure(.outOfRange) }
        return .success(number)
    }

    private mutating func applyFault(_ value: UnsafeRawBufferPointer) -> CommandLineProblem? {
        if seenFault { return .repeatedKey }
        if value.isEmpty { return .emptyValue }
        if same(value, "stack-overflow") {
            options.injectedFault = .stackOverflow
        } else if same(value, "null-pointer") {
            options.injectedFault = .nullPointer
        } else if same(value, "stack-smash") {
            options.injectedFault = .stackSmash
        } else {
            return .unknownValue
        }
        seenFault = true
        return nil
    }

    private func same(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        guard bytes.count == text.utf8CodeUnitCount else { return false }
        for index in 0 ..< bytes.count where bytes[index] != text.utf8Start[index] { return false }
        return true
    }
}
