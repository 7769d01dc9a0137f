import Testing
import KernelLog

@Suite struct HundredthsTests {
    func line(_ numerator: UInt64, _ denominator: UInt64) -> String {
        render { $0.bare("r").hundredths("x", numerator, over: denominator).end() }
    }

    @Test func roundsToTwoDecimals() {
        #expect(line(1, 1) == "r x=1.00\n")
        #expect(line(1, 3) == "r x=0.33\n")
        #expect(line(2, 3) == "r x=0.67\n")
        #expect(line(1, 200) == "r x=0.01\n")  // 0.005 rounds up
        #expect(line(1, 201) == "r x=0.00\n")
        #expect(line(1999, 1000) == "r x=2.00\n")  // 1.999 carries into the whole part
        #expect(line(12345, 10) == "r x=1234.50\n")
        #expect(line(UInt64.max, 1) == "r x=18446744073709551615.00\n")
        #expect(line(5, 0) == "r x=inf\n")
    }
}
