// Reading the multiboot1 information structure the loader leaves in memory (Multiboot
// Specification 0.6.96, section 3.3). Only the fields the kernel uses are decoded; each field is
// read only when its flag bit says it is valid.
import MemoryCore

struct MultibootInfo {
    static let bootloaderMagic: UInt32 = 0x2BAD_B002
    /// The structure's size up to and including the fields this kernel reads (through mmap_addr,
    /// or through boot_loader_name when flag 9 is set).
    static let structureByteCount: UInt64 = 52
    static let structureByteCountWithLoaderName: UInt64 = 68

    struct Flags: OptionSet {
        let rawValue: UInt32
        static let memoryBounds = Flags(rawValue: 1 << 0)
        static let commandLine = Flags(rawValue: 1 << 2)
        static let modules = Flags(rawValue: 1 << 3)
        static let memoryMap = Flags(rawValue: 1 << 6)
        static let loaderName = Flags(rawValue: 1 << 9)
    }

    /// One boot module (a file QEMU passes with -initrd), as the loader placed it.
    struct Module {
        var range: PhysicalRange
        var nameAddress: PhysicalAddress
        static let entryByteCount: UInt64 = 16
    }

    let address: PhysicalAddress
    let flags: Flags

    init(at address: PhysicalAddress) {
        self.address = address
        flags = Flags(rawValue: MultibootInfo.read32(address, 0))
    }

    var structureRange: PhysicalRange {
        let size = flags.contains(.loaderName) ? Self.structureByteCountWithLoaderName : Self.structureByteCount
        return PhysicalRange(start: address, end: PhysicalAddress(address.raw + size))
    }

    /// The boot loader's name (flag bit 9: boot_loader_name at offset 64) and the range it
    /// occupies (with its terminating zero).
    var loaderName: (text: PhysicalBytes, range: PhysicalRange)? {
        guard flags.contains(.loaderName) else { return nil }
        return Self.string(at: PhysicalAddress(UInt64(Self.read32(address, 64))))
    }

    /// The raw memory-map bytes (flag bit 6), or nil.
    var memoryMap: PhysicalBytes? {
        guard let range = memoryMapRange else { return nil }
        return PhysicalBytes(range: range)
    }

    var memoryMapRange: PhysicalRange? {
        guard flags.contains(.memoryMap) else { return nil }
        let base = UInt64(Self.read32(address, 48))
        return PhysicalRange(base: base, length: UInt64(Self.read32(address, 44)))
    }

    /// The command line bytes without the terminating zero, and the range they occupy (with it).
    var commandLine: (text: PhysicalBytes, range: PhysicalRange)? {
        guard flags.contains(.commandLine) else { return nil }
        return Self.string(at: PhysicalAddress(UInt64(Self.read32(address, 16))))
    }

    var moduleCount: Int { flags.contains(.modules) ? Int(Self.read32(address, 20)) : 0 }

    /// The array of module entries itself.
    var moduleTableRange: PhysicalRange? {
        guard flags.contains(.modules) else { return nil }
        return PhysicalRange(
            base: UInt64(Self.read32(address, 24)),
            length: UInt64(moduleCount) * Module.entryByteCount)
    }

    func module(_ index: Int) -> Module {
        let table = PhysicalAddress(UInt64(Self.read32(address, 24)))
        let entry = PhysicalAddress(table.raw + UInt64(index) * Module.entryByteCount)
        let start = UInt64(Self.read32(entry, 0)), end = UInt64(Self.read32(entry, 4))
        return Module(
            range: PhysicalRange(start: PhysicalAddress(start), end: PhysicalAddress(max(start, end))),
            nameAddress: PhysicalAddress(UInt64(Self.read32(entry, 8))))
    }

    /// A loader's zero-terminated string: its bytes without the zero, and the range it occupies
    /// with the zero (what the kernel reserves).
    static func string(at address: PhysicalAddress) -> (text: PhysicalBytes, range: PhysicalRange) {
        let text = PhysicalBytes.zeroTerminated(at: address)
        return (text, PhysicalRange(start: address, end: PhysicalAddress(address.raw + UInt64(text.count) + 1)))
    }

    private static func read32(_ base: PhysicalAddress, _ offset: Int) -> UInt32 { loadPhysicalUInt32(base, offset) }
}
