// The user address layout the kernel enforces (docs/syscalls.md, "Address layout"), as typed
// constants for programs that probe its edges.
import MemoryCore

enum UserSpace {
    /// User space is the half-open range [start, end).
    static let start = VirtualAddress(0x0000_0080_0000_0000)
    static let end = VirtualAddress(0x0000_7F80_0000_0000)
    /// Where every program is linked (User/user.ld): the first byte of .text.
    static let imageBase = VirtualAddress(0x0000_0080_0040_0000)
    /// The user stack ends here (exclusive); 64 KiB below it, then the 1 MiB guard gap nothing
    /// may map.
    static let stackEnd = VirtualAddress(0x0000_7F00_0000_0000)
    static let stackBytes: UInt64 = 64 * KiB
    static let stackGuardGapBytes: UInt64 = 1 * MiB
    static let stackGuardGapStart = VirtualAddress(0x0000_7F00_0000_0000 - 64 * KiB - 1 * MiB)
    static let pageBytes: UInt64 = 4 * KiB

    /// An address the kernel owns (identity-mapped kernel image, supervisor-only).
    static let kernelAddress = VirtualAddress(0x10_0000)

    static func contains(_ address: VirtualAddress) -> Bool { start <= address && address < end }

    /// Bytes rounded up to whole pages; nil when that overflows.
    static func pageRounded(_ bytes: UInt64) -> UInt64? { alignUp(bytes, to: pageBytes) }
}
