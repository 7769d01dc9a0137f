// Ranges out of bounds, misaligned, wrapping or empty; a hint over an existing mapping;
// object_from_range over memory that is not wholly private `map` memory.
import KernelLog

enum RangeChecks {
    /// (offset, length) pairs no call may accept on a 4-page object.
    static let badRanges: [(UInt64, UInt64)] = [
        (0, 0),  // empty
        (1, page),  // misaligned offset
        (page / 2, page),  // misaligned offset
        (objectBytes, page),  // starts at the end
        (0, objectBytes + page),  // one page too long
        (3 * page, 2 * page),  // runs past the end
        (UInt64.max & ~(page - 1), 2 * page),  // offset + length wraps
        (page, UInt64.max),  // length wraps when rounded
        (1 << 63, page),  // far outside
    ]

    static func run(_ check: inout Checker, _ fixture: Fixture) {
        check.group("object ranges out of bounds, misaligned, wrapping, empty (EINVAL)")
        for (offset, length) in badRanges {
            refused(check, .invalidArgument, "map") { () throws(Errno) in
                _ = try Syscall.objectMap(fixture.object, offset: offset, length: length, protection: .read)
            }
            refused(check, .invalidArgument, "commit") { () throws(Errno) in
                try Syscall.objectCommit(fixture.object, offset: offset, length: length, operation: .commit)
            }
            refused(check, .invalidArgument, "decommit") { () throws(Errno) in
                try Syscall.objectCommit(fixture.object, offset: offset, length: length, operation: .decommit)
            }
            refused(check, .invalidArgument, "clone") { () throws(Errno) in
                _ = try Syscall.objectClone(fixture.object, offset: offset, length: length)
            }
        }
        refused(check, .invalidArgument, "object_commit with an unknown operation") { () throws(Errno) in
            try Syscall.objectCommit(fixture.object, offset: 0, length: page, rawOperation: 2)
        }
        refused(check, .invalidArgument, "object_create of 0 bytes") { () throws(Errno) in _ = try Syscall.objectCreate(size: 0) }
        refused(check, .invalidArgument, "object_create with unknown options") { () throws(Errno) in
            _ = try Syscall.objectCreate(size: page, options: 1)
        }

        check.group("map hints: misaligned (EINVAL), over an existing mapping (EEXIST)")
        refused(check, .invalidArgument, "misaligned hint") { () throws(Errno) in
            _ = try Syscall.objectMap(
                fixture.object, offset: 0, length: page, protection: .read, hint: VirtualAddress(fixture.view.raw + 8))
        }
        refused(check, .exists, "hint over the object's own mapping") { () throws(Errno) in
            _ = try Syscall.objectMap(fixture.object, offset: 0, length: page, protection: .read, hint: fixture.view)
        }
        let anonymous = check.requireSuccess("a private mapping") { () throws(Errno) in
            try Syscall.map(length: 2 * page, protection: .readWrite)
        }
        refused(check, .exists, "hint over a private mapping") { () throws(Errno) in
            _ = try Syscall.objectMap(fixture.object, offset: 0, length: 2 * page, protection: .read, hint: anonymous)
        }
        refused(check, .exists, "hint overlapping the end of a mapping") { () throws(Errno) in
            _ = try Syscall.objectMap(
                fixture.object, offset: 0, length: 2 * page, protection: .read, hint: VirtualAddress(anonymous.raw + page))
        }
        refused(check, .exists, "hint over the program image") { () throws(Errno) in
            _ = try Syscall.objectMap(fixture.object, offset: 0, length: page, protection: .read, hint: UserSpace.imageBase)
        }

        check.group("object_from_range: misaligned, empty, not private map memory (EINVAL)")
        refused(check, .invalidArgument, "misaligned address") { () throws(Errno) in
            _ = try Syscall.objectFromRange(address: VirtualAddress(anonymous.raw + 8), length: page)
        }
        refused(check, .invalidArgument, "zero length") { () throws(Errno) in
            _ = try Syscall.objectFromRange(address: anonymous, length: 0)
        }
        refused(check, .invalidArgument, "past the mapping's end") { () throws(Errno) in
            _ = try Syscall.objectFromRange(address: anonymous, length: 3 * page)
        }
        refused(check, .invalidArgument, "an object's mapping") { () throws(Errno) in
            _ = try Syscall.objectFromRange(address: fixture.view, length: page)
        }
        refused(check, .invalidArgument, "the program image") { () throws(Errno) in
            _ = try Syscall.objectFromRange(address: UserSpace.imageBase, length: page)
        }
        refused(check, .invalidArgument, "the stack") { () throws(Errno) in
            _ = try Syscall.objectFromRange(address: VirtualAddress(UserSpace.stackEnd.raw - page), length: page)
        }
        refused(check, .invalidArgument, "kernel memory") { () throws(Errno) in
            _ = try Syscall.objectFromRange(address: UserSpace.kernelAddress, length: page)
        }
        check.requireSuccess("the private mapping is still there, whole") { () throws(Errno) in
            anonymous.storeByte(7)
            try Syscall.unmap(address: anonymous, length: 2 * page)
        }
    }
}
