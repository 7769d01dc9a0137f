// Where the linker and the boot stub put the kernel: the ranges the frame allocator must never
// hand out, and the sections reported at boot.
import MemoryCore

@_extern(c, "boot_image_layout") func boot_image_layout(_ out: UnsafeMutablePointer<UInt64>)

struct BootImageLayout {
    var image: PhysicalRange
    var bootPageTables: PhysicalRange
    var bootStack: PhysicalRange
    var text: PhysicalRange
    var rodata: PhysicalRange
    var data: PhysicalRange

    static func current() -> BootImageLayout {
        var raw = InlineArray<12, UInt64>(repeating: 0)
        withUnsafeMutablePointer(to: &raw) {
            $0.withMemoryRebound(to: UInt64.self, capacity: 12) { boot_image_layout($0) }
        }
        func range(_ index: Int) -> PhysicalRange {
            PhysicalRange(start: PhysicalAddress(raw[index]), end: PhysicalAddress(raw[index + 1]))
        }
        return BootImageLayout(
            image: range(0), bootPageTables: range(2), bootStack: range(4),
            text: range(6), rodata: range(8), data: range(10))
    }
}

/// How deep the boot stack has ever been: the stub paints it with a pattern before Swift runs,
/// so the lowest overwritten word marks the peak. Reported in the summary (`stack_peak_bytes=`).
enum StackUsage {
    static let paint: UInt64 = 0x5354_4143_4B5F_4D4D

    /// Precondition: `stack` excludes the unmapped guard page.
    static func peakBytes(of stack: PhysicalRange) -> UInt64 {
        var painted: UInt64 = 0
        while painted < stack.byteCount && loadPhysicalUInt64(PhysicalAddress(stack.start.raw + painted)) == paint {
            painted += 8
        }
        return stack.byteCount - painted
    }
}
