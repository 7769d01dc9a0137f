// Fuzz target `syscall`: the memory syscalls' argument decoders, validateUserRange (address,
// length) and UserProtection.pageFlags (protection bits), against plain reference rules.
//
// Input: records of 25 bytes: address u64, length u64, protection u64, mode byte (bit 0: the
// address may be unaligned and the range is widened outwards, as for buffers). Each decoder must
// give exactly the reference's answer: the same error (in the documented order zeroLength ->
// misaligned -> tooLarge -> wrapsAround -> touchesKernel -> outsideUserRange) or the same range.
import MemoryCore
import PageTables

func le64(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
    var value: UInt64 = 0
    for index in (0 ..< 8).reversed() { value = value << 8 | UInt64(bytes[at + index]) }
    return value
}

/// validateUserRange written the plain way: 128-bit sums, the rules of docs/syscalls.md.
func referenceRange(_ address: UInt64, _ length: UInt64, unaligned: Bool) -> Result<(UInt64, UInt64), UserRangeError> {
    let page: UInt128 = 4096, userStart = UInt128(UserSpace.start.raw), userEnd = UInt128(UserSpace.end.raw)
    if length == 0 { return .failure(.zeroLength) }
    if !unaligned && UInt128(address) % page != 0 { return .failure(.misaligned) }
    if UInt128(length) > userEnd - userStart { return .failure(.tooLarge) }
    let last = UInt128(address) + UInt128(length) - 1
    if last > UInt128(UInt64.max) { return .failure(.wrapsAround) }
    let higherHalf: UInt128 = 0xFFFF_8000_0000_0000
    if UInt128(address) < userStart || UInt128(address) >= higherHalf || last >= higherHalf { return .failure(.touchesKernel) }
    if last >= userEnd { return .failure(.outsideUserRange) }
    return .success((UInt64(UInt128(address) / page * page), UInt64((last / page + 1) * page)))
}

/// UserProtection.pageFlags written the plain way.
func referenceFlags(_ bits: UInt64) -> PageFlags? {
    let read = bits & 1 != 0, write = bits & 2 != 0, execute = bits & 4 != 0
    guard bits & ~7 == 0, read, !(write && execute) else { return nil }
    var flags: PageFlags = [.present, .user]
    if write { flags.insert(.writable) }
    if !execute { flags.insert(.noExecute) }
    return flags
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSyscall(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    var offset = 0
    while offset + 25 <= input.count {
        let address = le64(input, offset), length = le64(input, offset + 8), protection = le64(input, offset + 16)
        let unaligned = input[offset + 24] & 1 != 0
        offset += 25
        let actual: Result<(UInt64, UInt64), UserRangeError>
        do throws(UserRangeError) {
            let range = try validateUserRange(
                address: address, length: length, alignment: unaligned ? .roundOutward : .pageAlignedAddress)
            fuzzRequire(range.pageCount * 4096 == range.byteCount, "page count")
            actual = .success((range.start.raw, range.end.raw))
        } catch {
            actual = .failure(error)
        }
        switch (actual, referenceRange(address, length, unaligned: unaligned)) {
        case (.success(let a), .success(let b)): fuzzRequire(a == b, "range \(address)+\(length): \(a) != \(b)")
        case (.failure(let a), .failure(let b)): fuzzRequire(a == b, "range \(address)+\(length): \(a) != \(b)")
        case (let a, let b): fuzzRequire(false, "range \(address)+\(length): \(a) != \(b)")
        }
        fuzzRequire(
            UserProtection.pageFlags(forSyscallArgument: protection) == referenceFlags(protection), "protection \(protection)")
    }
    return 0
}
