// CPU time of each process, in time-stamp-counter cycles, split into time in ring 3 and time the
// kernel spent on its behalf (its syscalls, including loading the programs it spawns; interrupts
// and faults taken while it ran; the switch away from it). Every ring change and every switch is
// a switch point: `enterKernel` at each entry from ring 3, `leaveKernel` before each return to
// it, `switchIn` when the scheduler hands it the CPU, `switchOut` when it gives the CPU back. The
// time between a switch-out and the next switch-in is the scheduler's and the idle loop's, no
// process's. The CPU-time limit (`cpu_limit_ms=`) applies to the sum, checked when a syscall
// returns and on every timer tick, so a program that spends its time in the kernel is stopped as
// surely as one that spins in ring 3. Cycles become milliseconds through the TSC rate
// ProgrammableTimer measures against the PIT at boot.

enum ProcessClock {
    nonisolated(unsafe) static var cyclesPerMillisecond: UInt64 = 1_000_000
    nonisolated(unsafe) static var limitCycles: UInt64 = UInt64.max

    static func setLimit(milliseconds: UInt64) {
        let (cycles, overflow) = milliseconds.multipliedReportingOverflow(by: cyclesPerMillisecond)
        limitCycles = overflow ? UInt64.max : cycles
    }

    /// The scheduler is about to switch to a process: its kernel time starts now.
    static func switchIn() { CPULocal.this.lastClockSwitch = CPU.timestamp() }

    /// The CPU came from ring 3: the time since the last switch point was the program's.
    static func enterKernel() {
        guard let process = CPULocal.this.current else { return }
        let now = CPU.timestamp()
        process.userCycles &+= now &- CPULocal.this.lastClockSwitch
        CPULocal.this.lastClockSwitch = now
    }

    /// Going back to ring 3: the time since the entry was the kernel's, on the program's behalf.
    /// Returns false when the program has used up its limit (the caller kills it).
    static func leaveKernel() -> Bool {
        guard let process = CPULocal.this.current else { return true }
        charge(process)
        return process.userCycles &+ process.kernelCycles <= limitCycles
    }

    /// The process gives the CPU back (preempted, yielding, waiting or ended).
    static func switchOut() {
        if let process = CPULocal.this.current { charge(process) }
    }

    static func milliseconds(_ cycles: UInt64) -> UInt64 { cycles / max(1, cyclesPerMillisecond) }

    private static func charge(_ process: Process) {
        let now = CPU.timestamp()
        process.kernelCycles &+= now &- CPULocal.this.lastClockSwitch
        CPULocal.this.lastClockSwitch = now
    }
}
