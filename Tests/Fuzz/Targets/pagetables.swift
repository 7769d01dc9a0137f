// Fuzz target `pagetables`: operation sequences on a user AddressSpace over simulated RAM, driven
// by TestSupport's PageTableSession (the same session the seeded PageTablesTests run) with the
// fuzzer's input as its generator.
//
// Each step is one of map / unmap / protect (4 KiB and 2 MiB), mapRange / unmapRange,
// unmapRegion / protectRegion, translate or a call with bad arguments, checked against the
// reference model: the outcome (value or exact error), page and table counts, the table frames
// outstanding at the source and the translation of the touched page after every step;
// checkInvariants every 50 steps and at the end, then destroy() must free every table and report
// exactly the model's leaves. Phases of 8 steps alternate plenty and shortage of table frames; 128 frames of simulated RAM
// (instead of the tests' 1024) keep each run cheap.
import TestSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPageTables(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = fuzzInput(data, size)
    do {
        var session = try PageTableSession(generator: FuzzInputGenerator(input), phaseLength: 8, ramFrames: 128)
        try session.run(steps: min(input.count / 16, 2000))
    } catch {
        fuzzRequire(false, "\(error)")
    }
    return 0
}
