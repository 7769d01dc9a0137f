// map_layout (hostile): the address-space layout rules.
//   1. A hinted map placed exactly where the next unhinted map would go must not block unhinted
//      maps: 64 more unhinted maps all succeed, none overlaps the hinted one or another.
//   2. The stack's guard gap (1 MiB below the 256 KiB stack) takes no mapping: hints on its first
//      and last page, and one straddling its lower edge, are EEXIST; just below it is fine.
// Failures: the number of the check (named on the console). Expected: exit=0.
import MemoryCore
import KernelLog

@_cdecl("user_main")
func userMain() -> Int32 {
    let page = UserSpace.pageBytes
    guard let first = try? Syscall.map(length: page, protection: .readWrite) else { return fail(1, "first unhinted map") }
    let next = first.adding(2 * page)!  // where the next unhinted map goes
    guard let blocker = try? Syscall.map(hint: next, length: 16 * page, protection: .readWrite), blocker == next else {
        return fail(2, "hinted map at the next unhinted address")
    }
    var placed: [(UInt64, UInt64)] = [(first.raw, first.raw + page), (blocker.raw, blocker.raw + 16 * page)]
    for round in 0 ..< 64 {
        let length = UInt64(1 + round % 5) * page
        guard let address = try? Syscall.map(length: length, protection: .readWrite) else {
            return fail(3, "an unhinted map after the hinted one")
        }
        for (start, end) in placed where address.raw < end && address.raw + length > start {
            return fail(4, "unhinted map overlaps an earlier one")
        }
        placed.append((address.raw, address.raw + length))
    }
    let gapStart = UserSpace.stackGuardGapStart.raw, stackStart = UserSpace.stackEnd.raw - UserSpace.stackBytes
    for (hint, length) in [
        (stackStart - page, page), (gapStart, page), (gapStart - page, 2 * page), (stackStart - 64 * page, 8 * page),
    ] {
        guard
            case .failure(.exists) = Result(catching: { () throws(Errno) in
                try Syscall.map(hint: VirtualAddress(hint), length: length, protection: .readWrite)
            })
        else {
            return fail(5, "a hint in the stack guard gap was not EEXIST")
        }
    }
    guard let below = try? Syscall.map(hint: VirtualAddress(gapStart - 4 * page), length: 4 * page, protection: .readWrite),
        below.raw == gapStart - 4 * page
    else { return fail(6, "a hint just below the guard gap") }
    Console.line("map_layout").word("ok").dec("unhinted_maps", 65).end()
    return 0
}

func fail(_ code: Int32, _ what: StaticString) -> Int32 {
    Console.line("map_layout").word("FAILED").dec("check", Int(code)).phrase("what", what).end()
    return code
}
