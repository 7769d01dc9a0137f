// The kernel's one logger, writing to the serial port. Its threshold comes from the command line
// (`log=trace|debug|info|warn|error`, default info).
import KernelLog

struct SerialSink: ByteSink {
    @inline(__always) func write(_ byte: UInt8) { SerialPort.write(byte) }
}

/// Single CPU, and written only while interrupts are off: no lock needed.
/// Every line carries `t_us=` (BootClock: microseconds since the TSC was calibrated at boot).
nonisolated(unsafe) var log = Logger(sink: SerialSink(), threshold: .info, clock: { BootClock.microseconds() })
