// The runtime's raw-pointer file: every conversion between a typed VirtualAddress and a Swift
// pointer, and every byte access through such an address, happens here.
//
// Contracts: `VirtualAddress.init(_:)` reads nothing. The accessors below dereference; their
// caller promises the address is mapped with the needed access, or expects the fault (the
// hostile programs use them precisely to be killed).
import MemoryCore

extension VirtualAddress {
    /// The address of the first byte of `buffer` (0 for an empty buffer without storage).
    init(_ buffer: UnsafeRawBufferPointer) {
        self.init(UInt64(UInt(bitPattern: buffer.baseAddress)))
    }

    init(_ pointer: UnsafeRawPointer) {
        self.init(UInt64(UInt(bitPattern: pointer)))
    }

    /// The address as a pointer; nil for address 0.
    var pointer: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: UInt(raw)) }

    /// Contract: [self, self + count) is mapped readable and writable.
    func bytes(count: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: pointer, count: count)
    }

    /// One byte read. Contract: mapped readable (or the caller expects a fault).
    func loadByte() -> UInt8 {
        UnsafeMutablePointer<UInt8>(bitPattern: UInt(raw))!.pointee
    }

    /// One byte written. Contract: mapped writable (or the caller expects a fault).
    func storeByte(_ value: UInt8) {
        UnsafeMutablePointer<UInt8>(bitPattern: UInt(raw))!.pointee = value
    }

    /// A volatile-like access the optimiser cannot drop: the load goes through an opaque
    /// function. Used where the access itself is the point (probing, faulting).
    func loadByteOpaque() -> UInt8 { opaqueLoad(self) }
}

@inline(never) private func opaqueLoad(_ address: VirtualAddress) -> UInt8 { address.loadByte() }

/// Whole-range probes used by the test programs. Each touches every 8-byte word of
/// [address, address + byteCount); contract: the range is mapped (readable; writable for fill),
/// 8-aligned, byteCount a multiple of 8.
enum MemoryProbe {
    /// The word stored at byte offset `offset` by `fill(seed:)`: distinct per word and per seed.
    static func pattern(seed: UInt64, offset: UInt64) -> UInt64 {
        var z = (seed &+ offset) &* 0x9E37_79B9_7F4A_7C15
        z ^= z >> 29
        return z | 1  // never zero, so a page that reads as zero never passes for a filled one
    }

    /// True when every byte reads as zero.
    static func isZero(_ address: VirtualAddress, byteCount: UInt64) -> Bool {
        let words = UnsafeMutablePointer<UInt64>(bitPattern: UInt(address.raw))!
        for index in 0 ..< Int(byteCount / 8) where words[index] != 0 { return false }
        return true
    }

    static func fill(_ address: VirtualAddress, byteCount: UInt64, seed: UInt64) {
        let words = UnsafeMutablePointer<UInt64>(bitPattern: UInt(address.raw))!
        for index in 0 ..< Int(byteCount / 8) { words[index] = pattern(seed: seed, offset: UInt64(index) * 8) }
    }

    /// True when every word still holds what `fill(seed:)` stored.
    static func holdsPattern(_ address: VirtualAddress, byteCount: UInt64, seed: UInt64) -> Bool {
        let words = UnsafeMutablePointer<UInt64>(bitPattern: UInt(address.raw))!
        for index in 0 ..< Int(byteCount / 8) where words[index] != pattern(seed: seed, offset: UInt64(index) * 8) {
            return false
        }
        return true
    }

    /// An order-sensitive checksum of every word (a word moved, lost or changed changes it).
    static func checksum(_ address: VirtualAddress, byteCount: UInt64) -> UInt64 {
        let words = UnsafeMutablePointer<UInt64>(bitPattern: UInt(address.raw))!
        var sum: UInt64 = 0xCBF2_9CE4_8422_2325
        for index in 0 ..< Int(byteCount / 8) { sum = (sum << 5 | sum >> 59) ^ words[index] }
        return sum
    }

    /// Copies every word from `source` to `destination` (contract: both mapped, destination writable).
    static func copy(from source: VirtualAddress, to destination: VirtualAddress, byteCount: UInt64) {
        let from = UnsafeMutablePointer<UInt64>(bitPattern: UInt(source.raw))!
        let to = UnsafeMutablePointer<UInt64>(bitPattern: UInt(destination.raw))!
        for index in 0 ..< Int(byteCount / 8) { to[index] = from[index] }
    }
}
