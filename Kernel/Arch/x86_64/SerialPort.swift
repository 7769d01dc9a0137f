// COM1, the serial console that people watch: 115200 baud, 8 data bits, no parity, one stop
// bit, FIFO on. Writes poll the line-status register, so they work with interrupts off and
// before anything else is set up.

enum SerialPort {
    static let base: UInt16 = 0x3F8

    static func initialize() {
        Port.write8(base + 1, 0x00)  // no interrupts
        Port.write8(base + 3, 0x80)  // DLAB on: next two bytes are the divisor
        Port.write8(base + 0, 0x01)  // divisor 1 = 115200 baud
        Port.write8(base + 1, 0x00)
        Port.write8(base + 3, 0x03)  // 8N1, DLAB off
        Port.write8(base + 2, 0xC7)  // FIFO on, cleared, 14-byte threshold
        Port.write8(base + 4, 0x03)  // DTR, RTS
    }

    /// Writes one byte, translating `\n` to `\r\n` for terminals.
    static func write(_ byte: UInt8) {
        if byte == 0x0A { writeRaw(0x0D) }
        writeRaw(byte)
    }

    /// Whether a received byte is waiting (LSR bit 0: data ready).
    static var hasReceivedByte: Bool { Port.read8(base + 5) & 0x01 != 0 }

    /// The next received byte, waiting for one (LSR bit 0: data ready). Polling, interrupts off:
    /// used only by the live monitor, when nothing else runs.
    static func read() -> UInt8 {
        while Port.read8(base + 5) & 0x01 == 0 {}
        return Port.read8(base)
    }

    private static func writeRaw(_ byte: UInt8) {
        while Port.read8(base + 5) & 0x20 == 0 {}  // LSR bit 5: transmit holding register empty
        Port.write8(base, byte)
    }
}
