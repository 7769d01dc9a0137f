// The timer: the 8254 PIT on IRQ 0 at 100 Hz, through the 8259 PIC remapped to vectors 32-47
// (the CPU's exceptions own 0-31). Interrupts are enabled only while user code runs, so every
// tick lands in ring 3; the kernel counts the running process's ticks and kills it when it passes
// its CPU-time limit (`cpu_limit_ms=` on the command line, default 10 000): a runaway program
// cannot hang the kernel.

enum ProgrammableTimer {
    static let vector: UInt64 = 32
    static let hertz: UInt64 = 100
    private static let pitFrequency: UInt64 = 1_193_182

    /// Ticks the current process has used, and its limit.
    nonisolated(unsafe) static var processTicks: UInt64 = 0
    nonisolated(unsafe) static var tickLimit: UInt64 = 1000

    static func start(cpuLimitMilliseconds: UInt64) {
        tickLimit = max(1, cpuLimitMilliseconds * hertz / 1000)
        remapPIC()
        let divisor = UInt16(pitFrequency / hertz)
        Port.write8(0x43, 0x36)  // channel 0, lobyte/hibyte, mode 3 (square wave)
        Port.write8(0x40, UInt8(truncatingIfNeeded: divisor))
        Port.write8(0x40, UInt8(truncatingIfNeeded: divisor >> 8))
    }

    /// ICW1-4: edge-triggered, cascaded, vectors 32 (master) and 40 (slave); only IRQ 0 unmasked.
    private static func remapPIC() {
        Port.write8(0x20, 0x11); Port.write8(0xA0, 0x11)
        Port.write8(0x21, 0x20); Port.write8(0xA1, 0x28)
        Port.write8(0x21, 0x04); Port.write8(0xA1, 0x02)
        Port.write8(0x21, 0x01); Port.write8(0xA1, 0x01)
        Port.write8(0x21, 0xFE); Port.write8(0xA1, 0xFF)
    }

    static func tick(_ frame: ExceptionFrame) {
        Port.write8(0x20, 0x20)  // end of interrupt
        guard frame.privilegeLevel == 3 && UserMode.isRunningUserCode else { return }
        processTicks += 1
        if processTicks > tickLimit { Processes.killCurrent(frame, name: "cpu-time-limit") }
    }
}
