// The timer: the 8254 PIT on IRQ 0 at 100 Hz, through the 8259 PIC remapped to vectors 32-47
// (the CPU's exceptions own 0-31). Interrupts are enabled only while user code runs and in the
// idle loop's halt. On each tick from ring 3 the kernel checks the running process's CPU time
// (ProcessClock: ring 3 plus kernel time on its behalf) and kills it when it passes its limit
// (`cpu_limit_ms=` on the command line, default 10 000): a runaway program cannot hang the kernel;
// then, when another process is runnable, it preempts the running one (the 10 ms time slice,
// Scheduler.swift). A tick in the idle loop only wakes it.
// At boot, before the periodic mode starts, one PIT one-shot measures the TSC rate that turns
// ProcessClock's cycles into milliseconds.

import KernelLog

enum ProgrammableTimer {
    static let vector: UInt64 = 32
    static let hertz: UInt64 = 100
    private static let pitFrequency: UInt64 = 1_193_182

    /// The one-shot used to measure the TSC: 20 ms of PIT input clock.
    private static let calibrationMilliseconds: UInt64 = 20

    static func start(cpuLimitMilliseconds: UInt64) {
        ProcessClock.cyclesPerMillisecond = crossChecked(measureTimestampRate())
        ProcessClock.setLimit(milliseconds: cpuLimitMilliseconds)
        log.line(.info, "cpu", "tsc").dec("cycles_per_ms", ProcessClock.cyclesPerMillisecond)
            .dec("cpu_limit_ms", cpuLimitMilliseconds).end()
        remapPIC()
        let divisor = UInt16(pitFrequency / hertz)
        Port.write8(0x43, 0x36)  // channel 0, lobyte/hibyte, mode 3 (square wave)
        Port.write8(0x40, UInt8(truncatingIfNeeded: divisor))
        Port.write8(0x40, UInt8(truncatingIfNeeded: divisor >> 8))
    }

    /// ICW1-4: edge-triggered, cascaded, vectors 32 (master) and 40 (slave); only IRQ 0 unmasked.
    private static func remapPIC() {
        Port.write8(0x20, 0x11)
        Port.write8(0xA0, 0x11)
        Port.write8(0x21, 0x20)
        Port.write8(0xA1, 0x28)
        Port.write8(0x21, 0x04)
        Port.write8(0xA1, 0x02)
        Port.write8(0x21, 0x01)
        Port.write8(0xA1, 0x01)
        Port.write8(0x21, 0xFE)
        Port.write8(0xA1, 0xFF)
    }

    static func tick(_ frame: ExceptionFrame) {
        Port.write8(0x20, 0x20)  // end of interrupt
        guard frame.privilegeLevel == 3 && CPULocal.this.current != nil else { return }
        if !ProcessClock.leaveKernel() { Processes.killCurrent(frame, fault: .cpuTimeLimit) }
        if Scheduler.tickPreempts { Scheduler.yieldCurrent() }
    }

    /// The two boot-time measures of the TSC rate (BootClock's on PIT channel 2, this one on
    /// channel 0) must agree within 2x; on a loaded host a descheduled QEMU can spoil one of them
    /// (a rate 1000x too low was seen: every CPU figure then 1000x too high, every process killed
    /// for CPU time). When they disagree the higher is used: a too-high rate only makes the limit
    /// lenient (a runaway is still stopped), a too-low one kills programs that did nothing wrong.
    private static func crossChecked(_ measured: UInt64) -> UInt64 {
        let reference = BootClock.ticksPerMillisecond
        guard BootClock.calibrated, reference > 0, measured < reference / 2 || measured > reference * 2 else { return measured }
        log.line(.warn, "cpu", "tsc-disagree").dec("pit0_cycles_per_ms", measured).dec("boot_clock_cycles_per_ms", reference)
            .end()
        return max(measured, reference)
    }

    /// TSC cycles per millisecond: channel 0 in mode 0 (interrupt on terminal count) counts
    /// down `calibrationMilliseconds`; the read-back command's status byte shows OUT going high.
    /// Interrupts are off and IRQ 0 not yet unmasked, so nothing fires.
    private static func measureTimestampRate() -> UInt64 {
        let count = UInt16(pitFrequency * calibrationMilliseconds / 1000)
        Port.write8(0x43, 0x30)  // channel 0, lobyte/hibyte, mode 0
        Port.write8(0x40, UInt8(truncatingIfNeeded: count))
        Port.write8(0x40, UInt8(truncatingIfNeeded: count >> 8))
        let start = CPU.timestamp()
        var polls = 0
        repeat {
            Port.write8(0x43, 0xE2)  // read-back: latch channel 0's status only
            polls += 1
        } while Port.read8(0x40) & 0x80 == 0 && polls < 10_000_000
        let cycles = (CPU.timestamp() &- start) / calibrationMilliseconds
        guard polls < 10_000_000, cycles > 0 else {
            log.line(.warn, "cpu", "tsc-uncalibrated").text("assumed_cycles_per_ms", "1000000").end()
            return 1_000_000
        }
        return cycles
    }
}
