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
