// What the boot loader handed over, whichever protocol it spoke: multiboot1 (QEMU's -kernel,
// GRUB's `multiboot`) or multiboot2 (GRUB's `multiboot2`, the usual one on UEFI). The kernel
// reads the command line, the modules, the memory map and the loader's own structures through
// this one type; each protocol's layout stays in its own file.
import MemoryCore
import PhysicalMemory

enum BootInfo {
    case multiboot1(MultibootInfo)
    case multiboot2(Multiboot2Info)

    /// The structure `magic` (eax at entry) announces at `address` (ebx), or nil for an unknown
    /// magic (not booted by a multiboot loader).
    init?(magic: UInt32, address: UInt32) {
        let base = PhysicalAddress(UInt64(address))
        switch magic {
        case MultibootInfo.bootloaderMagic: self = .multiboot1(MultibootInfo(at: base))
        case Multiboot2Info.bootloaderMagic: self = .multiboot2(Multiboot2Info(at: base))
        default: return nil
        }
    }

    var protocolName: StaticString {
        switch self {
        case .multiboot1: "multiboot1"
        case .multiboot2: "multiboot2"
        }
    }

    /// The loader's own name ("GRUB 2.06-13+deb12u2", "qemu"), when it gave one.
    var loaderName: PhysicalBytes? {
        switch self {
        case .multiboot1(let info): info.loaderName?.text
        case .multiboot2(let info): info.loaderName
        }
    }

    var commandLine: (text: PhysicalBytes, range: PhysicalRange)? {
        switch self {
        case .multiboot1(let info): info.commandLine
        case .multiboot2(let info): info.commandLine
        }
    }

    /// The firmware memory map as the loader gave it, decoded by that protocol's parser; nil
    /// when the loader gave none (multiboot1 flag 6 clear, or no multiboot2 tag 6).
    func parseMemoryMap() -> MemoryMapParse? {
        switch self {
        case .multiboot1(let info): info.memoryMap.map { MemoryMapParse.parseMultiboot($0.bytes) }
        case .multiboot2(let info): info.tagBytes(.memoryMap).map { MemoryMapParse.parseMultiboot2($0.bytes) }
        }
    }

    /// The firmware's own UEFI memory map (multiboot2 tag 17), when the loader passed it on.
    var efiMemoryMap: EFIMemoryMapTag? {
        guard case .multiboot2(let info) = self, let bytes = info.tagBytes(.efiMemoryMap) else { return nil }
        return EFIMemoryMapTag(bytes.bytes)
    }

    var moduleCount: Int {
        switch self {
        case .multiboot1(let info): info.moduleCount
        case .multiboot2(let info): info.moduleCount
        }
    }

    func module(_ index: Int) -> MultibootInfo.Module {
        switch self {
        case .multiboot1(let info): info.module(index)
        case .multiboot2(let info): info.module(index)
        }
    }

    /// Every range the loader's own structures occupy besides the command line and the modules
    /// (the kernel reserves them as multiboot-info): for multiboot1 the fixed structure, the
    /// memory map, the module table and the loader name; for multiboot2 the one tag list, which
    /// holds all of those. Calls `body` once per range.
    func forEachStructureRange(_ body: (PhysicalRange) -> Void) {
        switch self {
        case .multiboot1(let info):
            body(info.structureRange)
            if let map = info.memoryMapRange { body(map) }
            if let table = info.moduleTableRange, !table.isEmpty { body(table) }
            if let name = info.loaderName { body(name.range) }
        case .multiboot2(let info):
            body(info.structureRange)
        }
    }
}
