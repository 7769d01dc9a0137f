// Where log bytes go. The kernel's sink is the serial port; host tests use a sink that records
// bytes. A generic protocol (never `any`): Embedded Swift has no existentials of plain protocols.

/// Receives the bytes of log lines, one at a time, in order.
public protocol ByteSink {
    func write(_ byte: UInt8)
}
