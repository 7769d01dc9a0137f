// The CPU state the kernel keeps for a user process while it is not running in ring 3. Today
// that is the x87/SSE state: a 512-byte fxsave area (16-aligned, as fxsave requires). The
// ring-transition stubs (boot/registers.inc: SAVE_USER_FPU / RESTORE_USER_FPU) save the program's
// state here on every entry from ring 3 (syscall, interrupt, exception) and give the kernel the
// reset state, and restore it on every return to ring 3; `user_first_entry` restores it before the
// first instruction. Each process has its own record; CPULocal points the stubs at the running
// one's at every switch. So:
//   - every process starts from the reset state (FCW 0x037F: extended precision, round to
//     nearest, every exception masked; empty x87 stack; MXCSR 0x1F80; zero registers);
//   - a program's control words or x87 stack never reach the kernel's Double math (the kernel
//     is built with -mno-sse: Double is x87), nor the next program, nor the other way round.
// The general registers live on the process's own kernel stack while it is switched out.

@_extern(c, "user_fpu_area") nonisolated(unsafe) var userFPUAreaPointer: UnsafeMutableRawPointer?

final class UserCPUState {
    static let fpuAreaByteCount = 512
    static let fpuAreaAlignment = 64
    /// Offsets in the fxsave layout (Intel SDM vol. 1, 10.5.1).
    static let controlWordOffset = 0
    static let mxcsrOffset = 24
    static let resetControlWord: UInt16 = 0x037F
    static let resetMXCSR: UInt32 = 0x1F80

    let fpuArea: UnsafeMutableRawPointer

    init() {
        fpuArea = UnsafeMutableRawPointer.allocate(byteCount: Self.fpuAreaByteCount, alignment: Self.fpuAreaAlignment)
        fpuArea.initializeMemory(as: UInt8.self, repeating: 0, count: Self.fpuAreaByteCount)
        fpuArea.storeBytes(of: Self.resetControlWord, toByteOffset: Self.controlWordOffset, as: UInt16.self)
        fpuArea.storeBytes(of: Self.resetMXCSR, toByteOffset: Self.mxcsrOffset, as: UInt32.self)
    }

    deinit {
        if userFPUAreaPointer == fpuArea { userFPUAreaPointer = nil }
        fpuArea.deallocate()
    }

    /// The program's control words as last saved (for the log at process end).
    var controlWord: UInt16 { fpuArea.load(fromByteOffset: Self.controlWordOffset, as: UInt16.self) }
    var mxcsr: UInt32 { fpuArea.load(fromByteOffset: Self.mxcsrOffset, as: UInt32.self) }

    /// Makes this the area the ring-transition stubs use (CPULocal, at each switch to the process).
    func makeCurrent() { userFPUAreaPointer = fpuArea }
}
