// Leaving QEMU with a status the Makefile can check, through the isa-debug-exit device
// (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`): writing v exits with status (v << 1) | 1.
// Status 0 is never produced by the guest and 1 is QEMU's own failure, so pass and fail get two
// other, distinct codes; anything else (or a timeout) is a failure to the Makefile.

enum QEMUExit {
    /// Exit status 33.
    static let passCode: UInt32 = 0x10
    /// Exit status 35.
    static let failCode: UInt32 = 0x11

    static func exit(passed: Bool) -> Never {
        Port.write32(0xF4, passed ? passCode : failCode)
        CPU.haltForever()  // only reached without the debug-exit device (e.g. real hardware)
    }
}
