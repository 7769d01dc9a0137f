// Numbered checks. A check is a group of conditions about one behaviour ("map/unmap 4 KiB");
// `group` starts check N + 1 and every `require` after it belongs to it. The first condition
// that fails prints `PROGRAM FAILED check=N group=... condition=...` and ends the program with
// exit code N, so the code names the behaviour and the console names the exact condition.
// (memtest's; object_hostile links the same file through a symlink.)
import KernelLog

struct Checker {
    /// The first word of every line: the program's name.
    let program: StaticString

    init(program: StaticString = "memtest") { self.program = program }
    /// Checks started so far; the current one's number.
    private(set) var count: Int32 = 0
    private var groupName: StaticString = "none"
    /// Exit codes above 99 belong to the runtime (docs/syscalls.md): checks stay below.
    static let largestCheckNumber: Int32 = 99

    mutating func group(_ name: StaticString) {
        count += 1
        groupName = name
        precondition(count <= Self.largestCheckNumber, "more checks than exit codes")
    }

    func require(_ condition: Bool, _ name: StaticString) {
        guard !condition else { return }
        fail(name)
    }

    /// The call must fail with exactly `expected`.
    func requireErrno(_ expected: Errno, _ name: StaticString, _ call: () throws(Errno) -> Void) {
        do throws(Errno) {
            try call()
            report(expected, got: nil, name)
        } catch {
            if error != expected { report(expected, got: error, name) }
        }
    }

    /// The call must succeed; its value is returned (the program ends otherwise).
    func requireSuccess<T>(_ name: StaticString, _ call: () throws(Errno) -> T) -> T {
        do throws(Errno) {
            return try call()
        } catch {
            Console.line(program).word("unexpected-errno").text("errno", error.name).end()
            fail(name)
        }
    }

    private func report(_ expected: Errno, got: Errno?, _ name: StaticString) {
        let line = Console.line(program).word("wrong-result").text("expected", expected.name)
        if let got { line.text("got", got.name).end() } else { line.text("got", "success").end() }
        fail(name)
    }

    private func fail(_ name: StaticString) -> Never {
        Console.line(program).word("FAILED").dec("check", Int(count)).phrase("group", groupName)
            .phrase("condition", name).end()
        ProgramExit.exit(count)
    }
}
