// fpu_check: runs after fpu_dirty (which exits with a dirty x87/SSE state) and checks that it
// starts from the reset state: FCW 0x037F, MXCSR 0x1F80, an empty x87 stack; and that Double
// math gives the round-to-nearest, double-precision results (x87: the runtime is built without
// SSE), before and after syscalls.
// Failures: 1 FCW, 2 MXCSR, 3 x87 stack not empty, 4 a float result differs (named on the console).
// Expected: exit=0.
import KernelLog

@_extern(c, "user_fpu_control_word") func user_fpu_control_word() -> UInt16
@_extern(c, "user_mxcsr") func user_mxcsr() -> UInt32
@_extern(c, "user_fpu_tag_word") func user_fpu_tag_word() -> UInt16
@_extern(c, "user_fpu_status_word") func user_fpu_status_word() -> UInt16

/// Values the optimiser cannot fold (so the math happens at run time, on this CPU state).
@inline(never) func opaque(_ value: Double) -> Double { value }

@_cdecl("user_main")
func userMain() -> Int32 {
    let fcw = user_fpu_control_word(), mxcsr = user_mxcsr(), tags = user_fpu_tag_word(), status = user_fpu_status_word()
    Console.line("fpu_check").word("start").hex("fcw", UInt64(fcw)).hex("mxcsr", UInt64(mxcsr))
        .hex("tags", UInt64(tags)).hex("fsw", UInt64(status)).end()
    if fcw != 0x037F { return 1 }
    if mxcsr != 0x1F80 { return 2 }
    if tags != 0xFFFF || (status >> 11) & 7 != 0 { return 3 }
    for round in 0 ..< 2 {
        if !checkResults() { return 4 }
        if round == 0 { _ = try? Syscall.memstat() }
    }
    Console.line("fpu_check").word("ok").end()
    return 0
}

/// Results that differ under a changed rounding mode or precision control.
func checkResults() -> Bool {
    let third = opaque(1) / opaque(3)
    let twoThirds = opaque(2) / opaque(3)
    let root = opaque(2).squareRoot()
    let big = opaque(1e300) * opaque(1e10)
    let expected: [(StaticString, Double, UInt64)] = [
        ("one_third", third, 0x3FD5_5555_5555_5555),
        ("two_thirds", twoThirds, 0x3FE5_5555_5555_5555),
        ("sqrt_two", root, 0x3FF6_A09E_667F_3BCD),
        ("overflow_to_infinity", big, 0x7FF0_0000_0000_0000),
    ]
    for (name, value, bits) in expected where value.bitPattern != bits {
        Console.line("fpu_check").word("FAILED").text("result", name).hex("got", value.bitPattern).hex("want", bits).end()
        return false
    }
    return true
}
