// The in-kernel test suite: runs after the boot sequence, in the test kernel only.
import KernelLog

enum SelfTests {
    static func runAll() -> Bool {
        var runner = SelfTestRunner()
        CPUSelfTests.run(&runner)
        FrameAllocatorSelfTests.run(&runner)
        HeapSelfTests.run(&runner)
        ObjectSelfTests.run(&runner)
        runner.report()
        return runner.failed == 0
    }
}

enum CPUSelfTests {
    static func run(_ runner: inout SelfTestRunner) {
        runner.run("cpu.breakpoint_is_reported_and_returns") { t in
            let before = breakpointCount
            cpu_breakpoint()
            t.expectEqual(UInt64(breakpointCount), UInt64(before + 1), "int3 reached the handler once")
        }
    }
}
