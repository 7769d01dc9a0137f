// How this module reaches physical memory: through an accessor, never through a raw address.
//
// The kernel's accessor is its identity map (pointer = physical address); host tests hand in a
// buffer that simulates physical memory, so every table write can be checked bit by bit.

import MemoryCore

/// Turns a physical address into a pointer the current code can dereference.
public protocol PhysicalMemoryAccess {
    /// A pointer to the byte at `address`. Contract: for every page-table frame this module is
    /// given, the returned pointer is valid for reads and writes of the whole 4 KiB frame and is
    /// 8-byte aligned (the accessor is only ever asked for frame-aligned addresses).
    func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer

    /// Whether the CPU honours the no-execute bit (EFER.NXE is on). When false, every entry is
    /// written with bit 63 clear: on such a CPU bit 63 is reserved and a walk that meets it faults
    /// (a reserved-bit page fault), so W^X then holds for writes only. Default: true.
    var noExecuteSupported: Bool { get }
}

extension PhysicalMemoryAccess {
    public var noExecuteSupported: Bool { true }
}
