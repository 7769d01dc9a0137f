// The in-kernel test suite's runner (compiled only into the test kernel, -D KERNEL_SELFTEST).
// Each test prints one line naming it and its result; a failed check prints the values involved.
// The test kernel exits through isa-debug-exit with the pass code only when every test passed.
import KernelLog

/// What a test body uses to check things. Checks do not stop the test: every failure is printed.
struct TestContext {
    fileprivate(set) var failedChecks = 0

    /// Records a failed check unless `condition` holds.
    mutating func expect(_ condition: Bool, _ what: StaticString, _ key: StaticString = "value", _ value: UInt64 = 0) {
        guard !condition else { return }
        failedChecks += 1
        log.line(.error, "test", "check-failed").text("check", what).hex(key, value).end()
    }

    /// Records a failed check unless `actual == expected`.
    mutating func expectEqual(_ actual: UInt64, _ expected: UInt64, _ what: StaticString) {
        guard actual != expected else { return }
        failedChecks += 1
        log.line(.error, "test", "check-failed").text("check", what).dec("actual", actual).dec("expected", expected).end()
    }
}

struct SelfTestRunner {
    private(set) var passed = 0
    private(set) var failed = 0

    mutating func run(_ name: StaticString, _ body: (inout TestContext) -> Void) {
        var context = TestContext()
        let start = CPU.timestamp()
        body(&context)
        let cycles = CPU.timestamp() &- start
        if context.failedChecks == 0 {
            passed += 1
            log.line(.info, "test", "ok").text("name", name).dec("tsc_cycles", cycles).end()
        } else {
            failed += 1
            log.line(.error, "test", "FAILED").text("name", name).dec("failed_checks", UInt64(context.failedChecks)).end()
        }
    }

    func report() {
        log.line(failed == 0 ? .info : .error, "test", "suite").dec("passed", UInt64(passed)).dec("failed", UInt64(failed)).end()
    }
}
