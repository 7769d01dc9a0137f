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
        return BootImageLayout(image: range(0), bootPageTables: range(2), bootStack: range(4),
                               text: range(6), rodata: range(8), data: range(10))
    }
}
