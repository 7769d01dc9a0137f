// The hostile argument values, as fixed tables (no heap: the fuzzer must not depend on malloc).
import MemoryCore

enum HostileValues {
    /// Addresses no call may accept as a user buffer or a mapped range.
    static let addresses: InlineArray<14, UInt64> = [
        0,  // null
        1,  // null + 1, unaligned
        0xFFF,  // last byte of the null page
        0x1000,  // low page below user space
        0x10_0000,  // kernel image
        0x0000_007F_FFFF_F000,  // the page just below user space
        0x0000_7F80_0000_0000,  // the end of user space (exclusive)
        0x0000_7FFF_FFFF_F000,  // top of the lower canonical half
        0x0000_8000_0000_0000,  // first non-canonical address
        0x8000_0000_0000_0000,  // bit 63
        0xFFFF_8000_0000_0000,  // higher half (canonical, kernel side)
        0xFFFF_FFFF_8000_0000,  // classic higher-half kernel base
        UInt64.max & ~0xFFF,  // last page of the address space
        UInt64.max,  // wraps on +1
    ]

    /// Lengths that are never valid for map/unmap/protect (zero, wrapping, or larger than user
    /// space) and never valid for write (zero excluded there: over 4096).
    static let lengths: InlineArray<6, UInt64> = [
        0,
        UInt64.max,
        UInt64.max - 0xFFF + 1,  // rounds up to 2^64: wraps to 0
        0x8000_0000_0000_0000,
        0x0000_8000_0000_0000,  // 128 TiB: more than all of user space
        0x0000_7F00_0000_0000 + 0x1000,  // just over the user space size
    ]

    /// Valid write lengths, paired with the hostile addresses.
    static let bufferLengths: InlineArray<3, UInt64> = [1, 10, 4096]

    /// One page, zero and everything: paired with the hostile addresses for unmap and protect.
    static let rangeLengths: InlineArray<3, UInt64> = [4096, 0, UInt64.max]

    /// Lengths for write that break its rules (over 4096 bytes), paired with valid buffers.
    static let writeLengths: InlineArray<4, UInt64> = [4097, 1 << 20, 0x8000_0000_0000_0000, UInt64.max]

    /// Protections that must be refused: W+X (with and without R), unknown bits, everything.
    static let protections: InlineArray<6, UInt64> = [6, 7, 8, 0x10, 0x8000_0000_0000_0000, UInt64.max]

    /// System call numbers that do not exist.
    static let unknownNumbers: InlineArray<7, UInt64> = [63, 100, 1000, 4096, 1 << 32, 1 << 63, UInt64.max]

    /// A word of the program's own text, read before and after fuzzing.
    static let imageWord: UInt64 = imageBaseWord()

    static func imageIsIntact() -> Bool { imageBaseWord() == imageWord }

    @inline(never) static func imageBaseWord() -> UInt64 {
        UnsafePointer<UInt64>(bitPattern: UInt(UserSpace.imageBase.raw))!.pointee
    }
}
