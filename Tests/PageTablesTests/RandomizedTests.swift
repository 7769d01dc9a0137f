import MemoryCore
import Testing
import TestSupport
import PageTables

@Suite struct RandomizedTests {
    /// 3 seeds x 20 000 steps = 60 000 operations.
    @Test(arguments: [0x5EED_0001 as UInt64, 0xC0FF_EE00, 0x1234_5678_9ABC])
    func randomOperationsMatchTheReferenceModel(seed: UInt64) throws {
        var run = try PageTableSession(generator: SeededGenerator(seed: seed))
        do {
            try run.run(steps: 20_000)
        } catch {
            Issue.record("seed \(seed): \(error)")
        }
        let required = [
            "mapsize4KiB ok", "mapsize4KiB alreadyMapped", "mapsize4KiB outOfTableFrames", "mapsize4KiB invalidFlags",
            "mapsize2MiB ok", "mapsize2MiB alreadyMapped", "mapsize2MiB outOfTableFrames",
            "unmapsize4KiB ok", "unmapsize4KiB notMapped", "unmapsize4KiB pageSizeMismatch",
            "unmapsize2MiB ok", "unmapsize2MiB notMapped", "unmapsize2MiB pageSizeMismatch",
            "protectsize4KiB ok", "protectsize2MiB ok", "protectsize4KiB pageSizeMismatch", "protectsize4KiB invalidFlags",
            "mapRange ok", "mapRange alreadyMapped", "mapRange outOfTableFrames", "mapRange frameOutOfRange",
            "unmapRange ok", "unmapRange notMapped", "unmapRange pageSizeMismatch", "unmapRegion ok",
            "unmapRegion pageSizeMismatch", "protectRegion ok", "protectRegion notMapped", "protectRegion pageSizeMismatch",
            "badArgument nonCanonical", "badArgument outsideAddressSpace", "badArgument misaligned",
            "badArgument frameOutOfRange", "badArgument invalidFlags", "badArgument rangeOverflow",
        ]
        for outcome in required { #expect(run.outcomes[outcome, default: 0] > 0, "seed \(seed): never saw \(outcome)") }
        #expect(run.outcomes.values.reduce(0, +) >= 15_000)  // translate-only steps are not recorded
    }
}
