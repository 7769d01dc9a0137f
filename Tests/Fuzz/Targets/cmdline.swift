// Fuzz target `cmdline`: the kernel command-line parser (Sources/BootOptions) over any bytes.
//
// Input: byte 0 bit 0 = whether the first word is the image path (multiboot), then the text. The
// parser must never trap and must agree with a plain reference written with arrays and UInt128:
// the same options, and the same unused words reported once each, in order, with the same reason
// (docs: not-key-value, empty-key, unknown-key, empty-value, not-a-number, out-of-range,
// unknown-value, repeated-key; the first valid occurrence of a key counts).
import BootOptions
import KernelLog

func referenceParse(_ text: [UInt8], skipFirst: Bool) -> (BootOptions, [([UInt8], CommandLineProblem)]) {
    var options = BootOptions()
    var problems: [([UInt8], CommandLineProblem)] = []
    let visible = Array(text.prefix { $0 != 0 })
    var words: [[UInt8]] = [], current: [UInt8] = []
    for byte in visible + [0x20] {
        if byte <= 0x20 {
            if !current.isEmpty { words.append(current) }
            current = []
        } else {
            current.append(byte)
        }
    }
    var seen: Set<String> = []
    let levels = ["error", "warn", "info", "debug", "trace"]
    for (index, word) in words.enumerated() where !(index == 0 && skipFirst) {
        guard let equals = word.firstIndex(of: UInt8(ascii: "=")) else {
            problems.append((word, .notKeyValue))
            continue
        }
        let key = String(decoding: word[..<equals], as: UTF8.self), valueBytes = Array(word[(equals + 1)...])
        let value = String(decoding: valueBytes, as: UTF8.self)
        let problem: CommandLineProblem?
        if key.isEmpty {
            problem = .emptyKey
        } else if !["log", "cpu_limit_ms", "fault"].contains(key) || word[..<equals].contains(where: { $0 >= 0x80 }) {
            problem = .unknownKey
        } else if seen.contains(key) {
            problem = .repeatedKey
        } else if valueBytes.isEmpty {
            problem = .emptyValue
        } else if key == "log" {
            if let level = levels.firstIndex(of: value), valueBytes.allSatisfy({ $0 < 0x80 }) {
                options.logLevel = levels[level].utf8.withContiguousStorageIfAvailable {
                    LogLevel(name: UnsafeRawBufferPointer($0))
                }!!
                problem = nil
            } else {
                problem = .unknownValue
            }
        } else if key == "cpu_limit_ms" {
            if !valueBytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                problem = .notANumber
            } else {
                var number: UInt128 = 0
                for digit in valueBytes where number <= UInt128(UInt64.max) { number = number * 10 + UInt128(digit - 0x30) }
                if number >= 1 && number <= 3_600_000 {
                    options.cpuLimitMilliseconds = UInt64(number)
                    problem = nil
                } else {
                    problem = .outOfRange
                }
            }
        } else {
            switch valueBytes.allSatisfy({ $0 < 0x80 }) ? value : "" {
            case "stack-overflow":
                options.injectedFault = .stackOverflow
                problem = nil
            case "null-pointer":
                options.injectedFault = .nullPointer
                problem = nil
            default: problem = .unknownValue
            }
        }
        if let problem { problems.append((word, problem)) } else { seen.insert(key) }
    }
    return (options, problems)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommandLine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    guard let flags = input.first else { return 0 }
    let text = UnsafeRawBufferPointer(rebasing: input[1...])
    var reported: [([UInt8], CommandLineProblem)] = []
    let options = KernelCommandLine.parse(text, firstWordIsImagePath: flags & 1 != 0) { word, problem in
        reported.append((Array(word), problem))
    }
    let (expected, problems) = referenceParse(Array(text), skipFirst: flags & 1 != 0)
    fuzzRequire(options == expected, "options \(options) != \(expected)")
    fuzzRequire(
        reported.count == problems.count && zip(reported, problems).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 },
        "reported \(reported.map(\.1)) != \(problems.map(\.1))")
    return 0
}
