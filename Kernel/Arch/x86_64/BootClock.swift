// Time since boot for the log's `t_us=` field: the time-stamp counter, calibrated once at boot
// against the 8254 PIT's channel 2 (the speaker channel, gated by port 0x61, so the timer
// interrupt on channel 0 is untouched). Channel 2 counts down 11 932 ticks of 1.193182 MHz
// (10 ms) in mode 0; its output (port 0x61 bit 5) goes high at terminal count. The TSC ticks
// counted meanwhile give TSC ticks per millisecond. Under QEMU TCG both are virtual, so the
// figures are the emulated machine's time, not the host's.

enum BootClock {
    /// TSC at calibration (time zero) and TSC ticks per millisecond (0 until calibrated).
    nonisolated(unsafe) private(set) static var tscAtBoot: UInt64 = 0
    nonisolated(unsafe) private(set) static var ticksPerMillisecond: UInt64 = 0
    /// True when the PIT answered; false means a fallback rate was assumed (and logged).
    nonisolated(unsafe) private(set) static var calibrated = false

    private static let calibrationMilliseconds: UInt64 = 10
    private static let pitTicks: UInt64 = 1_193_182 * calibrationMilliseconds / 1000
    /// Fallback when the PIT never reaches terminal count: 1 GHz, stated in the boot line.
    private static let fallbackTicksPerMillisecond: UInt64 = 1_000_000
    /// Bounded wait: a machine without a working PIT must still boot.
    private static let maximumPolls = 50_000_000

    static func calibrate() {
        let gate = Port.read8(0x61)
        Port.write8(0x61, (gate & ~0x02) | 0x01)  // gate on, speaker off
        Port.write8(0x43, 0xB0)  // channel 2, lobyte/hibyte, mode 0, binary
        Port.write8(0x42, UInt8(truncatingIfNeeded: pitTicks))
        Port.write8(0x42, UInt8(truncatingIfNeeded: pitTicks >> 8))
        let start = CPU.timestamp()
        var polls = 0
        while Port.read8(0x61) & 0x20 == 0 && polls < maximumPolls { polls += 1 }
        let elapsed = CPU.timestamp() &- start
        Port.write8(0x61, gate)
        calibrated = polls < maximumPolls && elapsed >= calibrationMilliseconds
        ticksPerMillisecond = calibrated ? elapsed / calibrationMilliseconds : fallbackTicksPerMillisecond
        tscAtBoot = start
    }

    /// Microseconds since calibration (0 before it).
    static func microseconds() -> UInt64 {
        guard ticksPerMillisecond != 0 else { return 0 }
        let ticks = CPU.timestamp() &- tscAtBoot
        let wholeMilliseconds = ticks / ticksPerMillisecond
        return wholeMilliseconds * 1000 + (ticks % ticksPerMillisecond) * 1000 / ticksPerMillisecond
    }
}
