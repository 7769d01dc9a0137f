// The interrupt descriptor table: 256 gates of 16 bytes; the first 32 (CPU exceptions) point at
// the stubs in boot/interrupts.asm. Every exception therefore reaches Swift and is reported.

@_extern(c, "exception_stub_table") nonisolated(unsafe) var exceptionStubTable: (UInt64)

/// One 64-bit interrupt gate (Intel SDM vol. 3, 6.14.1).
struct InterruptGate {
    var offsetLow: UInt16 = 0
    var selector: UInt16 = 0
    var interruptStackTable: UInt8 = 0
    var typeAndAttributes: UInt8 = 0
    var offsetMiddle: UInt16 = 0
    var offsetHigh: UInt32 = 0
    var reserved: UInt32 = 0

    /// A present interrupt gate (type 0xE: interrupts stay off in the handler) at `handler`,
    /// callable from ring `privilege` with `int n`.
    init(handler: UInt64, codeSelector: UInt16, privilege: UInt8 = 0) {
        offsetLow = UInt16(truncatingIfNeeded: handler)
        offsetMiddle = UInt16(truncatingIfNeeded: handler >> 16)
        offsetHigh = UInt32(truncatingIfNeeded: handler >> 32)
        selector = codeSelector
        typeAndAttributes = 0x80 | (privilege << 5) | 0x0E
    }

    init() {}
}

enum InterruptDescriptorTable {
    static let kernelCodeSelector: UInt16 = 0x08
    static let gateCount = 256
    /// Breakpoint and overflow (no array: this runs before the heap exists).
    static let userCallableVectors = 3 ... 4

    /// Storage for the table and the pointer `lidt` reads; static, so it exists before the heap.
    nonisolated(unsafe) static var gates = InlineArray<256, InterruptGate>(repeating: InterruptGate())
    nonisolated(unsafe) static var descriptor: (UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0)

    static func install() {
        withUnsafePointer(to: &exceptionStubTable) { table in
            table.withMemoryRebound(to: UInt64.self, capacity: 33) { stubs in
                for vector in 0 ..< 32 {
                    gates[vector] = InterruptGate(handler: stubs[vector], codeSelector: kernelCodeSelector)
                }
                // A double fault gets its own stack (TSS IST1): it is how a kernel stack overflow
                // into the guard page ends, and the faulting stack is unusable.
                gates[8].interruptStackTable = TaskStateSegment.doubleFaultStackIndex
                gates[1].interruptStackTable = TaskStateSegment.debugStackIndex
                // `int3` and `int 4` are the instructions whose exception is the point (a
                // breakpoint, an overflow check): ring 3 may raise them (DPL 3), so a program is
                // killed as `breakpoint` / `overflow`. Every other gate is DPL 0: `int N` from
                // ring 3 for any other N is a general-protection fault, named as such.
                for vector in Self.userCallableVectors {
                    gates[vector] = InterruptGate(handler: stubs[vector], codeSelector: kernelCodeSelector, privilege: 3)
                }
                gates[Int(ProgrammableTimer.vector)] = InterruptGate(handler: stubs[32], codeSelector: kernelCodeSelector)
            }
        }
        load()
    }

    private static func load() {
        withUnsafeMutablePointer(to: &gates) { table in
            let base = UInt64(UInt(bitPattern: table))
            let limit = UInt16(MemoryLayout<InterruptGate>.stride * gateCount - 1)
            // lidt operand: limit (u16) then base (u64), packed.
            descriptor = (
                limit, UInt16(truncatingIfNeeded: base), UInt16(truncatingIfNeeded: base >> 16),
                UInt16(truncatingIfNeeded: base >> 32), UInt16(truncatingIfNeeded: base >> 48)
            )
        }
        withUnsafePointer(to: &descriptor) { cpu_load_idt(UnsafeRawPointer($0)) }
    }
}
