// The one place that turns a physical address into a pointer. The kernel identity-maps all RAM
// (virtual == physical, below 2^47 as the Swift runtime requires), so the conversion is the
// identity; every other file goes through these two functions so that a later change of layout
// touches only this file.
import MemoryCore

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
