// Decoding the UEFI memory map a multiboot2 loader passes on (tag 17, Multiboot2 Specification
// 3.6.13; descriptors as UEFI 2.10 section 7.2, EFI_MEMORY_DESCRIPTOR) into a MemoryMap.
//
// GRUB on UEFI hands over two maps of the same memory: tag 6, its own translation into the
// multiboot types, and tag 17, the firmware's descriptors verbatim. The kernel allocates from
// tag 6 and logs tag 17 beside it; this parser lets the host tests check that the two agree.
//
// Wire format, the tag from its first byte:
//   offset 0:  type u32 = 17, offset 4: size u32 (whole tag), offset 8: descriptor_size u32
//   (48 with OVMF; at least 40, later versions append fields), offset 12: descriptor_version u32
//   offset 16: descriptors, each: type u32, pad u32, physical_start u64, virtual_start u64,
//              number_of_pages u64 (4 KiB each), attribute u64
import MemoryCore

/// One EFI memory descriptor, as the firmware wrote it (virtual_start is not kept: the kernel
/// never calls runtime services in virtual mode).
public struct EFIMemoryDescriptor: Equatable, Sendable {
    public var type: UInt32
    public var range: PhysicalRange
    public var attributes: UInt64
    /// number_of_pages as given.
    public var pageCount: UInt64
    /// physical_start + number_of_pages * 4 KiB passed 2^64: `range` ends at 2^64 - 1 instead.
    public var clampedForOverflow: Bool

    /// What the memory is to a kernel that has left boot services: loader and boot-services
    /// memory and conventional memory are free RAM; runtime-services memory must be preserved
    /// (the firmware may still run there), as must ACPI NVS, MMIO and persistent memory.
    public var kind: MemoryRegionKind {
        switch type {
        case 1, 2, 3, 4, 7: .usable
        case 0, 5, 6, 11, 12, 13, 14: .reserved
        case 8: .defective
        case 9: .acpiReclaimable
        case 10: .acpiNonVolatile
        default: .unknown(type)
        }
    }

    /// The UEFI name of `type`, for the boot log.
    public var typeName: StaticString {
        switch type {
        case 0: "reserved"
        case 1: "loader-code"
        case 2: "loader-data"
        case 3: "boot-services-code"
        case 4: "boot-services-data"
        case 5: "runtime-services-code"
        case 6: "runtime-services-data"
        case 7: "conventional"
        case 8: "unusable"
        case 9: "acpi-reclaim"
        case 10: "acpi-nvs"
        case 11: "mmio"
        case 12: "mmio-port-space"
        case 13: "pal-code"
        case 14: "persistent"
        default: "unknown"
        }
    }
}

/// The framing of an EFI memory-map tag: where its descriptors are and how many were cut off.
public struct EFIMemoryMapTag {
    public static let tagType: UInt32 = 17
    static let headerBytes = 16
    /// type, pad, physical_start, virtual_start, number_of_pages, attribute.
    static let minimumDescriptorBytes = 40

    /// The tag's bytes, as given to `init`.
    public let bytes: UnsafeRawBufferPointer
    let descriptorSize: Int
    /// Descriptors that fit whole inside the tag.
    public let count: Int
    /// 1 when the tag could not be framed or bytes after the last whole descriptor were left.
    public let truncated: Int

    /// Frames the tag held in `bytes` (the whole tag, header included). A tag too short, of the
    /// wrong type or with descriptor_size below 40 holds no descriptors (truncated = 1); a `size`
    /// beyond the buffer is cut to the buffer.
    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
        guard bytes.count >= Self.headerBytes, loadLittleEndianUInt32(bytes, at: 0) == Self.tagType,
            Int(loadLittleEndianUInt32(bytes, at: 8)) >= Self.minimumDescriptorBytes
        else {
            descriptorSize = Self.minimumDescriptorBytes
            count = 0
            truncated = 1
            return
        }
        let size = max(Self.headerBytes, min(Int(loadLittleEndianUInt32(bytes, at: 4)), bytes.count))
        descriptorSize = Int(loadLittleEndianUInt32(bytes, at: 8))
        count = (size - Self.headerBytes) / descriptorSize
        truncated = (size - Self.headerBytes) % descriptorSize == 0 ? 0 : 1
    }

    /// Bytes of the descriptors whose kind is usable. The UEFI specification forbids overlapping
    /// descriptors, so this is a plain sum with no capacity limit (real machines give hundreds of
    /// descriptors: more than a MemoryMap holds); an overlapping map would show up as a total
    /// that disagrees with the loader's map.
    public var usableByteCount: UInt64 {
        var total: UInt64 = 0
        for index in 0 ..< count where self[index].kind == .usable { total &+= self[index].range.byteCount }
        return total
    }

    /// Descriptor `index` (0 <= index < count).
    public subscript(index: Int) -> EFIMemoryDescriptor {
        precondition(index >= 0 && index < count, "EFI descriptor index out of range")
        let offset = Self.headerBytes + index * descriptorSize
        let start = loadLittleEndianUInt64(bytes, at: offset + 8)
        let pages = loadLittleEndianUInt64(bytes, at: offset + 24)
        let (length, lengthOverflow) = pages.multipliedReportingOverflow(by: frameSize)
        let (end, endOverflow) = start.addingReportingOverflow(length)
        return EFIMemoryDescriptor(
            type: loadLittleEndianUInt32(bytes, at: offset),
            range: PhysicalRange(
                start: PhysicalAddress(start),
                end: PhysicalAddress(lengthOverflow || endOverflow ? UInt64.max : end)),
            attributes: loadLittleEndianUInt64(bytes, at: offset + 32), pageCount: pages,
            clampedForOverflow: lengthOverflow || endOverflow)
    }
}

extension MemoryMapParse {
    /// Decodes an EFI memory-map tag into regions of the kernel's kinds, in firmware order, with
    /// the same accounting as the multiboot parsers (zero pages dropped, overflow clamped).
    public static func parseEFIMemoryMap(_ tag: UnsafeRawBufferPointer) -> MemoryMapParse {
        var parse = MemoryMapParse()
        let descriptors = EFIMemoryMapTag(tag)
        parse.droppedTruncated = descriptors.truncated
        for index in 0 ..< descriptors.count {
            let descriptor = descriptors[index]
            if descriptor.pageCount == 0 {
                parse.droppedZeroLength += 1
                continue
            }
            if descriptor.clampedForOverflow { parse.clampedForOverflow += 1 }
            parse.map.append(MemoryRegion(range: descriptor.range, kind: descriptor.kind))
        }
        return parse
    }
}
