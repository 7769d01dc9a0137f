// Logs recorded from real kernel runs (Fixtures/, see README there), read by path.
import Foundation

enum Fixture {
    /// trace-hello-32M.log: `LOG=trace MEM=32M PROGRAMS=hello`, format version 2.
    /// debug-bad-pointer.log: `LOG=debug MEM=64M PROGRAMS="hello bad_pointer malloc_demo"`.
    /// v1-info.log: a LOG=info log of the default programs from before time fields (version 1).
    static func text(_ name: String) -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        guard let data = try? Data(contentsOf: url) else { fatalError("fixture \(name) missing at \(url.path)") }
        return String(decoding: data, as: UTF8.self)
    }

    /// The fixture's lines without their line ends (the serial port writes "\r\n").
    static func lines(_ name: String) -> [String] {
        text(name).split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
    }
}
