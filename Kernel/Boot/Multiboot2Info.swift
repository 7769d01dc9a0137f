// Reading the multiboot2 boot information GRUB's `multiboot2` command leaves in memory
// (Multiboot2 Specification 3.6): a u32 total_size, a u32 reserved word, then tags, each
// { type u32, size u32, payload } starting on an 8-byte boundary, ending with a type-0 tag.
// Only the tags the kernel uses are decoded; unknown tags are stepped over by their size.
import MemoryCore

struct Multiboot2Info {
    static let bootloaderMagic: UInt32 = 0x36D7_6289

    enum Tag: UInt32 {
        case end = 0, commandLine = 1, loaderName = 2, module = 3, memoryMap = 6, efiMemoryMap = 17
    }

    let address: PhysicalAddress
    /// total_size: the structure with all its tags (strings and maps included).
    let byteCount: UInt64

    /// Tags are walked only inside [address, address + total_size); a structure whose size is not
    /// even the 8-byte header plus an end tag is treated as holding no tags.
    init(at address: PhysicalAddress) {
        self.address = address
        let size = UInt64(Self.read32(address, 0))
        byteCount = size >= 16 ? size : 8
    }

    /// The whole structure (the kernel reserves it: every tag, string and map lives inside).
    var structureRange: PhysicalRange { PhysicalRange(start: address, end: PhysicalAddress(address.raw + byteCount)) }

    /// The first tag of `type` after `skipping` earlier ones of that type, as (address, size).
    func tag(_ type: Tag, skipping: Int = 0) -> (address: PhysicalAddress, size: UInt64)? {
        var offset: UInt64 = 8
        var seen = 0
        while offset + 8 <= byteCount {
            let tagAddress = PhysicalAddress(address.raw + offset)
            let tagType = Self.read32(tagAddress, 0), size = UInt64(Self.read32(tagAddress, 4))
            if tagType == Tag.end.rawValue || size < 8 || offset + size > byteCount { return nil }
            if tagType == type.rawValue {
                if seen == skipping { return (tagAddress, size) }
                seen += 1
            }
            offset += (size + 7) & ~7
        }
        return nil
    }

    /// The zero-terminated string of a command-line or loader-name tag, without the zero.
    private func string(_ type: Tag) -> (text: PhysicalBytes, range: PhysicalRange)? {
        guard let found = tag(type) else { return nil }
        return MultibootInfo.string(at: PhysicalAddress(found.address.raw + 8))
    }

    var commandLine: (text: PhysicalBytes, range: PhysicalRange)? { string(.commandLine) }
    var loaderName: PhysicalBytes? { string(.loaderName)?.text }

    /// A whole tag's bytes (header included), as the parsers in PhysicalMemory take them.
    func tagBytes(_ type: Tag) -> PhysicalBytes? {
        guard let found = tag(type) else { return nil }
        return PhysicalBytes(range: PhysicalRange(start: found.address, end: PhysicalAddress(found.address.raw + found.size)))
    }

    var moduleCount: Int {
        var count = 0
        while tag(.module, skipping: count) != nil { count += 1 }
        return count
    }

    /// Module `index` (tag 3: mod_start u32, mod_end u32, then the module's string).
    func module(_ index: Int) -> MultibootInfo.Module {
        guard let found = tag(.module, skipping: index) else {
            return MultibootInfo.Module(
                range: PhysicalRange(start: PhysicalAddress(0), end: PhysicalAddress(0)), nameAddress: PhysicalAddress(0))
        }
        let start = UInt64(Self.read32(found.address, 8)), end = UInt64(Self.read32(found.address, 12))
        return MultibootInfo.Module(
            range: PhysicalRange(start: PhysicalAddress(start), end: PhysicalAddress(max(start, end))),
            nameAddress: PhysicalAddress(found.address.raw + 16))
    }

    private static func read32(_ base: PhysicalAddress, _ offset: Int) -> UInt32 { loadPhysicalUInt32(base, offset) }
}
