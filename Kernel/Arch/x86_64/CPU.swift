// The CPU primitives from boot/cpu.asm, behind typed Swift names. Nothing else in the kernel
// declares assembly symbols.

@_extern(c, "cpu_out8") func cpu_out8(_ port: UInt16, _ value: UInt8)
@_extern(c, "cpu_in8") func cpu_in8(_ port: UInt16) -> UInt8
@_extern(c, "cpu_out32") func cpu_out32(_ port: UInt16, _ value: UInt32)
@_extern(c, "cpu_read_cr0") func cpu_read_cr0() -> UInt64
@_extern(c, "cpu_read_cr2") func cpu_read_cr2() -> UInt64
@_extern(c, "cpu_read_cr3") func cpu_read_cr3() -> UInt64
@_extern(c, "cpu_write_cr3") func cpu_write_cr3(_ value: UInt64)
@_extern(c, "cpu_read_cr4") func cpu_read_cr4() -> UInt64
@_extern(c, "cpu_invlpg") func cpu_invlpg(_ address: UInt64)
@_extern(c, "cpu_read_msr") func cpu_read_msr(_ msr: UInt32) -> UInt64
@_extern(c, "cpu_write_msr") func cpu_write_msr(_ msr: UInt32, _ value: UInt64)
@_extern(c, "cpu_cpuid") func cpu_cpuid(_ leaf: UInt32, _ subleaf: UInt32, _ out: UnsafeMutablePointer<UInt32>)
@_extern(c, "cpu_read_tsc") func cpu_read_tsc() -> UInt64
@_extern(c, "cpu_halt") func cpu_halt()
@_extern(c, "cpu_idle_until_interrupt") func cpu_idle_until_interrupt()
@_extern(c, "cpu_disable_interrupts") func cpu_disable_interrupts()
@_extern(c, "cpu_breakpoint") func cpu_breakpoint()
@_extern(c, "cpu_load_idt") func cpu_load_idt(_ pointer: UnsafeRawPointer)
@_extern(c, "cpu_stack_pointer") func cpu_stack_pointer() -> UInt64

/// Port-mapped I/O.
enum Port {
    @inline(__always) static func write8(_ port: UInt16, _ value: UInt8) { cpu_out8(port, value) }
    @inline(__always) static func read8(_ port: UInt16) -> UInt8 { cpu_in8(port) }
    @inline(__always) static func write32(_ port: UInt16, _ value: UInt32) { cpu_out32(port, value) }
}

/// The result of one CPUID leaf.
struct CPUIDResult {
    var eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0

    init(leaf: UInt32, subleaf: UInt32 = 0) {
        var registers: (UInt32, UInt32, UInt32, UInt32) = (0, 0, 0, 0)
        withUnsafeMutablePointer(to: &registers) {
            $0.withMemoryRebound(to: UInt32.self, capacity: 4) { cpu_cpuid(leaf, subleaf, $0) }
        }
        (eax, ebx, ecx, edx) = registers
    }
}

enum CPU {
    /// Time-stamp counter (under TCG a virtual count: an indication, not a precise time).
    @inline(__always) static func timestamp() -> UInt64 { cpu_read_tsc() }

    /// Stops the CPU for good (used after telling QEMU to exit, should the exit port be absent).
    static func haltForever() -> Never {
        cpu_disable_interrupts()
        while true { cpu_halt() }
    }

    /// Does the CPU support 1 GiB pages (CPUID 0x80000001 EDX bit 26)?
    static var hasGibibytePages: Bool { CPUIDResult(leaf: 0x8000_0001).edx & (1 << 26) != 0 }

    /// Is EFER.NXE on (set by the boot stub when the CPU has NX)?
    static var noExecuteEnabled: Bool { cpu_read_msr(0xC000_0080) & (1 << 11) != 0 }
}
