import Foundation
import Testing
import KernelLog

/// The fault names are one list (FaultName); docs/syscalls.md's table between the
/// `fault-names:begin/end` markers must list exactly those names, in order, with their vectors,
/// because Tests/qemu/check-programs.sh accepts exactly the names in that table.
@Suite struct FaultNameTests {
    static func text(_ name: StaticString) -> String {
        String(decoding: UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount), as: UTF8.self)
    }

    /// (name, vector or "-") for each row of the docs table.
    static func documentedRows() throws -> [(String, String)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let docs = try String(contentsOf: root.appendingPathComponent("docs/syscalls.md"), encoding: .utf8)
        guard let begin = docs.range(of: "<!-- fault-names:begin -->"), let end = docs.range(of: "<!-- fault-names:end -->")
        else {
            Issue.record("docs/syscalls.md has no fault-names markers")
            return []
        }
        return docs[begin.upperBound ..< end.lowerBound].split(separator: "\n").compactMap { line in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2, cells[0].hasPrefix("`") else { return nil }
            return (cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`")), cells[1])
        }
    }

    @Test func docsTableListsExactlyTheNames() throws {
        let expected = FaultName.allCases.map { (Self.text($0.name), $0.vector.map { String($0) } ?? "-") }
        let documented = try Self.documentedRows()
        #expect(documented.map(\.0) == expected.map(\.0))
        #expect(documented.map(\.1) == expected.map(\.1))
    }

    @Test func namesAreUniqueSingleTokens() {
        let names = FaultName.allCases.map { Self.text($0.name) }
        #expect(Set(names).count == names.count)
        for name in names { #expect(!name.isEmpty && name.allSatisfy { $0.isLowercase || $0 == "-" || $0.isNumber }) }
    }

    @Test func vectorsMapBothWays() {
        for vector in UInt64(0) ..< 32 {
            let fault = FaultName(vector: vector)!
            if vector == 15 || vector >= 22 { #expect(fault == .reserved) } else { #expect(UInt64(fault.vector!) == vector) }
        }
        #expect(FaultName(vector: 32) == nil)
        #expect(FaultName(vector: 3)?.name.description == "breakpoint")
        #expect(FaultName(vector: 13) == .generalProtection)
        #expect(FaultName.cpuTimeLimit.vector == nil)
    }
}
