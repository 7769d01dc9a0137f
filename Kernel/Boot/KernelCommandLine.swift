// The kernel command line (`-append` in QEMU): space-separated `key=value` words.
//   log=error|warn|info|debug|trace   log threshold (default info)
//   cpu_limit_ms=N                      CPU time a user program may use before it is killed (10 000)
//   fault=stack-overflow|null-pointer   make the kernel fail on purpose after boot, to show (and
//                                       test) that every exception is reported, never a reboot
//   monitor                             after the boot demo, an `mm>` prompt on the serial
//                                       console (Kernel/Monitor) instead of running every module
// QEMU puts the kernel's file name first; words without `=` and unknown keys are counted and
// ignored.
import KernelLog

struct KernelCommandLine {
    var logLevel: LogLevel = .info
    var cpuLimitMilliseconds: UInt64 = 10_000
    var injectedFault: InjectedFault? = nil
    var unknownWords = 0
    var monitor = false

    init(_ text: UnsafeRawBufferPointer) {
        var wordStart = 0
        for index in 0...text.count where index == text.count || text[index] == 0x20 {
            if index > wordStart { apply(UnsafeRawBufferPointer(rebasing: text[wordStart..<index])) }
            wordStart = index + 1
        }
    }

    private mutating func apply(_ word: UnsafeRawBufferPointer) {
        if let value = Self.value(of: "log=", in: word), let level = LogLevel(name: value) {
            logLevel = level
        } else if let value = Self.value(of: "cpu_limit_ms=", in: word), let number = Self.decimal(value) {
            cpuLimitMilliseconds = number
        } else if let value = Self.value(of: "fault=", in: word), let fault = InjectedFault(name: value) {
            injectedFault = fault
        } else if word.count == 7, Self.value(of: "monitor", in: word) != nil {
            monitor = true
        } else if word.contains(UInt8(ascii: "=")) {
            unknownWords += 1
        }
    }

    /// A decimal number, or nil (empty, non-digits, or too large).
    private static func decimal(_ text: UnsafeRawBufferPointer) -> UInt64? {
        guard !text.isEmpty, text.count <= 18 else { return nil }
        var value: UInt64 = 0
        for byte in text {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// The bytes after `prefix` when `word` starts with it.
    private static func value(of prefix: StaticString, in word: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        let count = prefix.utf8CodeUnitCount
        guard word.count >= count else { return nil }
        for index in 0..<count where word[index] != prefix.utf8Start[index] { return nil }
        return UnsafeRawBufferPointer(rebasing: word[count...])
    }
}
