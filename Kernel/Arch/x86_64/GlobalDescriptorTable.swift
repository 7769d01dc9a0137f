// The kernel's GDT, replacing the boot stub's: the order is dictated by `syscall`/`sysret`
// (STAR): sysret loads CS from STAR[63:48] + 16 and SS from STAR[63:48] + 8, so user data must
// sit just below user code, with a spare slot before them.
//   0x00 null   0x08 kernel code   0x10 kernel data   0x18 spare (32-bit user code slot)
//   0x20 user data (DPL 3)   0x28 user code (DPL 3, 64-bit)   0x30 TSS (16 bytes: two slots)

@_extern(c, "cpu_load_gdt") func cpu_load_gdt(_ pointer: UnsafeRawPointer, _ code: UInt16, _ data: UInt16)
@_extern(c, "cpu_load_task_register") func cpu_load_task_register(_ selector: UInt16)

enum Selector {
    static let kernelCode: UInt16 = 0x08
    static let kernelData: UInt16 = 0x10
    static let sysretBase: UInt16 = 0x18
    static let userData: UInt16 = 0x20 | 3
    static let userCode: UInt16 = 0x28 | 3
    static let taskState: UInt16 = 0x30
}

enum GlobalDescriptorTable {
    // Segment descriptor bits: accessed(40) writable/readable(41) executable(43) code-or-data(44)
    // DPL(45-46) present(47) long-mode code(53).
    private static let kernelCode: UInt64 = 1 << 41 | 1 << 43 | 1 << 44 | 1 << 47 | 1 << 53
    private static let kernelData: UInt64 = 1 << 41 | 1 << 44 | 1 << 47
    private static let userCode: UInt64 = kernelCode | 3 << 45
    private static let userData: UInt64 = kernelData | 3 << 45

    nonisolated(unsafe) static var entries = InlineArray<8, UInt64>(repeating: 0)
    nonisolated(unsafe) static var descriptor: (UInt16, UInt16, UInt16, UInt16, UInt16) = (0, 0, 0, 0, 0)

    static func install() {
        entries[1] = kernelCode
        entries[2] = kernelData
        entries[4] = userData
        entries[5] = userCode
        let (low, high) = TaskStateSegment.descriptor()
        entries[6] = low
        entries[7] = high
        withUnsafeMutablePointer(to: &entries) { table in
            let base = UInt64(UInt(bitPattern: table))
            descriptor = (
                UInt16(8 * 8 - 1), UInt16(truncatingIfNeeded: base), UInt16(truncatingIfNeeded: base >> 16),
                UInt16(truncatingIfNeeded: base >> 32), UInt16(truncatingIfNeeded: base >> 48)
            )
        }
        withUnsafePointer(to: &descriptor) { cpu_load_gdt(UnsafeRawPointer($0), Selector.kernelCode, Selector.kernelData) }
        cpu_load_task_register(Selector.taskState)
    }
}

@_extern(c, "task_state_segment") nonisolated(unsafe) var taskStateSegmentStorage: UInt8
@_extern(c, "double_fault_stack_top") nonisolated(unsafe) var doubleFaultStackTop: UInt8
@_extern(c, "debug_stack_top") nonisolated(unsafe) var debugStackTop: UInt8

/// The 64-bit TSS (in boot/usermode.asm's .bss): RSP0 is the stack the CPU switches to on an
/// interrupt from ring 3 (CPULocal sets it to the running process's kernel stack), IST1 a separate stack for double faults, so a
/// kernel stack overflow into the guard page is still reported instead of triple-faulting.
enum TaskStateSegment {
    static let byteCount: UInt64 = 104
    static let doubleFaultStackIndex: UInt8 = 1
    /// IST2: a debug trap taken in ring 0 right at `syscall` entry (a program's TF on a CPU that
    /// delivers it there) would otherwise run on the user's stack.
    static let debugStackIndex: UInt8 = 2

    /// RSP0: the stack the CPU switches to on an interrupt or exception from ring 3.
    static func setKernelStack(_ top: UInt64) { base.storeBytes(of: top, toByteOffset: 4, as: UInt64.self) }

    static var base: UnsafeMutableRawPointer {
        withUnsafeMutablePointer(to: &taskStateSegmentStorage) { UnsafeMutableRawPointer($0) }
    }

    /// Fills IST1 and the I/O map base, and returns the two descriptor words for the GDT.
    static func descriptor() -> (UInt64, UInt64) {
        let stackTop = withUnsafeMutablePointer(to: &doubleFaultStackTop) { UInt64(UInt(bitPattern: $0)) }
        base.storeBytes(of: stackTop, toByteOffset: 36, as: UInt64.self)  // IST1
        let debugTop = withUnsafeMutablePointer(to: &debugStackTop) { UInt64(UInt(bitPattern: $0)) }
        base.storeBytes(of: debugTop, toByteOffset: 44, as: UInt64.self)  // IST2
        base.storeBytes(of: UInt16(byteCount), toByteOffset: 102, as: UInt16.self)  // no I/O bitmap
        let address = UInt64(UInt(bitPattern: base))
        let limit = byteCount - 1
        // Available 64-bit TSS (type 0x9), present.
        let low =
            (limit & 0xFFFF) | (address & 0xFF_FFFF) << 16 | 0x89 << 40
            | ((limit >> 16) & 0xF) << 48 | ((address >> 24) & 0xFF) << 56
        return (low, address >> 32)
    }
}
