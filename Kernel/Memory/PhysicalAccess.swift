// The one place that turns a physical address into a pointer. The kernel identity-maps all RAM
// (virtual == physical, below 2^47 as the Swift runtime requires), so the conversion is the
// identity; every other file goes through these two functions so that a later change of layout
// touches only this file.
import MemoryCore
import PageTables

/// A pointer to physical memory. Precondition: the address is inside the identity map (the first
/// 4 GiB from the boot stub; all usable RAM once KernelAddressSpace is live).
@inline(__always) func physicalPointer(_ address: PhysicalAddress) -> UnsafeMutableRawPointer {
    UnsafeMutableRawPointer(bitPattern: UInt(address.raw))!
}

/// The physical address behind a kernel pointer.
@inline(__always) func physicalAddress(of pointer: UnsafeRawPointer) -> PhysicalAddress {
    PhysicalAddress(UInt64(UInt(bitPattern: pointer)))
}

/// Fills a whole frame with zeros through the identity map. Precondition: as `physicalPointer`.
func zeroFrame(_ frame: FrameNumber) {
    physicalPointer(frame.startAddress).initializeMemory(as: UInt8.self, repeating: 0, count: Int(frameSize))
}

/// Copies one whole frame to another through the identity map (a copy-on-write copy).
/// Precondition: both frames as `physicalPointer`, distinct.
func copyFrameBytes(from source: FrameNumber, to destination: FrameNumber) {
    physicalPointer(destination.startAddress).copyMemory(
        from: UnsafeRawPointer(physicalPointer(source.startAddress)), byteCount: Int(frameSize))
}

// MARK: Typed reads of physical memory (boot-loader structures, the boot stack, modules)

/// A 32-bit little-endian word at `address + offset`, any alignment. Precondition: as
/// `physicalPointer`.
@inline(__always) func loadPhysicalUInt32(_ address: PhysicalAddress, _ offset: Int = 0) -> UInt32 {
    UnsafeRawPointer(physicalPointer(address)).loadUnaligned(fromByteOffset: offset, as: UInt32.self)
}

/// The 64-bit word at `address` (8-byte aligned). Precondition: as `physicalPointer`.
@inline(__always) func loadPhysicalUInt64(_ address: PhysicalAddress) -> UInt64 {
    physicalPointer(address).load(as: UInt64.self)
}

/// A run of bytes in physical memory, named by its typed range; `bytes` is the one way to read
/// them (a buffer over the identity map, for the parsers and the log). Precondition: the range is
/// identity-mapped and holds what its producer says (a loader string, a tag, a module).
struct PhysicalBytes {
    var range: PhysicalRange

    var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: physicalPointer(range.start), count: Int(range.byteCount))
    }

    var count: Int { Int(range.byteCount) }

    /// The zero-terminated string at `address` without its zero (at most `limit` bytes scanned).
    static func zeroTerminated(at address: PhysicalAddress, limit: Int = 4096) -> PhysicalBytes {
        let start = UnsafeRawPointer(physicalPointer(address))
        var length = 0
        while length < limit && start.load(fromByteOffset: length, as: UInt8.self) != 0 { length += 1 }
        return PhysicalBytes(range: PhysicalRange(start: address, end: PhysicalAddress(address.raw + UInt64(length))))
    }
}

extension MultibootInfo {
    /// A loader string's bytes (module names): PhysicalBytes.zeroTerminated as a buffer, for the
    /// callers that print or compare it.
    static func zeroTerminated(at address: PhysicalAddress) -> UnsafeRawBufferPointer {
        PhysicalBytes.zeroTerminated(at: address).bytes
    }
}

/// Physical memory as the page-table code reaches it: the identity map.
struct IdentityAccess: PhysicalMemoryAccess {
    @inline(__always) func pointer(to address: PhysicalAddress) -> UnsafeMutableRawPointer { physicalPointer(address) }
    /// Without NX no entry may carry bit 63 (CPUFeatures: W^X then holds for writes only).
    var noExecuteSupported: Bool { CPUFeatures.noExecute }
}
