import MemoryCore
import Testing
@testable import PageTables

// Hostile syscall arguments: each one must get exactly its documented error, never a range.
@Suite struct UserRangeValidationTests {
    func check(
        _ address: UInt64, _ length: UInt64, _ alignment: UserRangeAlignment = .pageAlignedAddress
    ) -> Result<UserRange, UserRangeError> {
        do { return .success(try validateUserRange(address: address, length: length, alignment: alignment)) } catch {
            return .failure(error)
        }
    }

    func range(_ start: UInt64, _ end: UInt64) -> Result<UserRange, UserRangeError> {
        .success(UserRange(start: VirtualAddress(start), end: VirtualAddress(end)))
    }

    let start = UserSpace.start.raw
    let end = UserSpace.end.raw

    @Test func validRangesAreRoundedToPages() {
        #expect(check(start, 1) == range(start, start + 4096))
        #expect(check(start, 4096) == range(start, start + 4096))
        #expect(check(start, 4097) == range(start, start + 8192))
        #expect(check(end - 4096, 4096) == range(end - 4096, end))  // the very last page
        #expect(check(start, UserSpace.byteCount) == range(start, end))  // the whole user range
        #expect(check(start + 0x123, 0x1000, .roundOutward) == range(start, start + 0x2000))
        #expect(check(end - 1, 1, .roundOutward) == range(end - 4096, end))
        let whole = try? validateUserRange(address: start, length: UserSpace.byteCount, alignment: .pageAlignedAddress)
        #expect(whole?.pageCount == UserSpace.byteCount / 4096 && whole?.byteCount == UserSpace.byteCount)
    }

    @Test func zeroLengthAndMisalignment() {
        #expect(check(start, 0) == .failure(.zeroLength))
        #expect(check(0, 0) == .failure(.zeroLength))
        #expect(check(UInt64.max, 0) == .failure(.zeroLength))
        #expect(check(start + 1, 4096) == .failure(.misaligned))
        #expect(check(start + 4095, 1) == .failure(.misaligned))
        #expect(check(UInt64.max, 1) == .failure(.misaligned))
        #expect(check(start + 4095, 1, .roundOutward) == range(start, start + 4096))
    }

    @Test func hugeAndWrappingLengths() {
        #expect(check(start, UserSpace.byteCount + 1) == .failure(.tooLarge))
        #expect(check(start, UInt64.max) == .failure(.tooLarge))
        #expect(check(0, UInt64.max) == .failure(.tooLarge))
        #expect(check(0xFFFF_FFFF_FFFF_F000, 0x2000) == .failure(.wrapsAround))
        #expect(check(UInt64.max, 2, .roundOutward) == .failure(.wrapsAround))
        #expect(check(0xFFFF_FFFF_FFFF_F000, 0x1000) == .failure(.touchesKernel))  // ends exactly at 2^64: no wrap
        #expect(check(end - 4096, UserSpace.byteCount) == .failure(.outsideUserRange))
    }

    @Test func kernelAddresses() {
        #expect(check(0, 4096) == .failure(.touchesKernel))  // null page
        #expect(check(0x10_0000, 4096) == .failure(.touchesKernel))  // kernel image, slot 0
        #expect(check(start - 4096, 4096) == .failure(.touchesKernel))  // just below user space
        #expect(check(start - 4096, 8192) == .failure(.touchesKernel))  // straddles the start
        #expect(check(start - 1, 2, .roundOutward) == .failure(.touchesKernel))
        #expect(check(0xFFFF_8000_0000_0000, 4096) == .failure(.touchesKernel))  // higher half
        #expect(check(0xFFFF_FFFF_8000_0000, 4096) == .failure(.touchesKernel))
        #expect(check(0x0000_8000_0000_0000 - 4096, UserSpace.byteCount) == .failure(.outsideUserRange))
    }

    @Test func pastTheEndAndNonCanonical() {
        #expect(check(end, 4096) == .failure(.outsideUserRange))  // just past the end
        #expect(check(end - 4096, 4097) == .failure(.outsideUserRange))  // one byte past
        #expect(check(end - 1, 2, .roundOutward) == .failure(.outsideUserRange))
        #expect(check(0x0000_7FFF_FFFF_F000, 4096) == .failure(.outsideUserRange))  // last page below 2^47
        #expect(check(0x0000_8000_0000_0000, 4096) == .failure(.outsideUserRange))  // non-canonical hole
        #expect(check(0xFFFF_7FFF_FFFF_F000, 4096) == .failure(.outsideUserRange))
        #expect(check(0xFFFF_7FFF_FFFF_F000, 0x2000) == .failure(.touchesKernel))  // hole into the higher half
    }

    /// Exhaustive over a grid of boundary addresses and lengths: any accepted range lies inside user
    /// space, is page-aligned, and covers every byte asked for.
    @Test func acceptedRangesAlwaysCoverTheRequestInsideUserSpace() {
        let points: [UInt64] = [
            0, 1, 4095, 4096, start - 4097, start - 1, start, start + 1, start + 4095, end - 4097,
            end - 4096, end - 1, end, end + 1, 1 << 47, (1 << 47) - 1, 0xFFFF_8000_0000_0000,
            UInt64.max - 4096, UInt64.max - 1, UInt64.max,
        ]
        let lengths: [UInt64] = [
            0, 1, 2, 4095, 4096, 4097, 1 << 30, UserSpace.byteCount - 1, UserSpace.byteCount,
            UserSpace.byteCount + 1, 1 << 63, UInt64.max,
        ]
        for address in points {
            for length in lengths {
                for alignment in [UserRangeAlignment.pageAlignedAddress, .roundOutward] {
                    guard case .success(let r) = check(address, length, alignment) else { continue }
                    #expect(r.start.raw >= start && r.end.raw <= end && r.start < r.end)
                    #expect(r.start.raw % 4096 == 0 && r.end.raw % 4096 == 0)
                    #expect(r.start.raw <= address && address - r.start.raw < 4096)
                    #expect(r.end.raw - address >= length && r.end.raw - (address + length) < 4096)
                }
            }
        }
    }
}
