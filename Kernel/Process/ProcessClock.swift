// CPU time of the running process, in time-stamp-counter cycles, split into time in ring 3 and
// time the kernel spent on its behalf (syscalls, interrupts and faults taken while it ran). Every
// ring change is a switch point: `enterKernel` at each entry from ring 3, `leaveKernel` before
// each return to it. The CPU-time limit (`cpu_limit_ms=`) applies to the sum, checked when a
// syscall returns and on every timer tick, so a program that spends its time in the kernel is
// stopped as surely as one that spins in ring 3. Cycles become milliseconds through the TSC rate
// ProgrammableTimer measures against the PIT at boot.

enum ProcessClock {
    nonisolated(unsafe) static var cyclesPerMillisecond: UInt64 = 1_000_000
    nonisolated(unsafe) static var limitCycles: UInt64 = UInt64.max
    nonisolated(unsafe) static var userCycles: UInt64 = 0
    nonisolated(unsafe) static var kernelCycles: UInt64 = 0
    nonisolated(unsafe) static var lastSwitch: UInt64 = 0

    static func setLimit(milliseconds: UInt64) {
        let (cycles, overflow) = milliseconds.multipliedReportingOverflow(by: cyclesPerMillisecond)
        limitCycles = overflow ? UInt64.max : cycles
    }

    /// A new process is about to enter ring 3 for the first time.
    static func start() {
        userCycles = 0
        kernelCycles = 0
        lastSwitch = CPU.timestamp()
    }

    /// The CPU came from ring 3: the time since the last switch was the program's.
    static func enterKernel() {
        let now = CPU.timestamp()
        userCycles &+= now &- lastSwitch
        lastSwitch = now
    }

    /// Going back to ring 3: the time since the entry was the kernel's, on the program's behalf.
    /// Returns false when the program has used up its limit (the caller kills it).
    static func leaveKernel() -> Bool {
        chargeKernel()
        return withinLimit
    }

    /// The process ended: the kernel time since its last entry is charged too.
    static func stop() { chargeKernel() }

    static var withinLimit: Bool { userCycles &+ kernelCycles <= limitCycles }
    static var userMilliseconds: UInt64 { userCycles / max(1, cyclesPerMillisecond) }
    static var kernelMilliseconds: UInt64 { kernelCycles / max(1, cyclesPerMillisecond) }

    private static func chargeKernel() {
        let now = CPU.timestamp()
        kernelCycles &+= now &- lastSwitch
        lastSwitch = now
    }
}
