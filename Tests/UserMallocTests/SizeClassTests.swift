import Testing
@testable import UserMalloc

@Suite struct SizeClassTests {
    @Test func tableMatchesTheDocumentedSteps() {
        let expected = [
            16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
            288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 832, 896, 960, 1024,
            1152, 1280, 1408, 1536, 1664, 1792, 1920, 2048, 2304, 2560, 2816, 3072, 3328, 3584, 3840, 4096,
        ]
        #expect((0 ..< SizeClass.count).map(SizeClass.byteCount(ofClass:)) == expected)
        #expect(SizeClass.byteCount(ofClass: SizeClass.count - 1) == SizeClass.largestByteCount)
    }

    @Test func everySizeMapsToTheSmallestClassThatHoldsIt() {
        for size in 0 ... SizeClass.largestByteCount {
            let index = SizeClass.index(forByteCount: size)
            #expect(SizeClass.byteCount(ofClass: index) >= size)
            if index > 0 { #expect(SizeClass.byteCount(ofClass: index - 1) < max(size, 1)) }
        }
    }

    @Test func stepsStayWithinTwelveAndAHalfPercentAbove128() {
        for index in 8 ..< SizeClass.count {
            let size = SizeClass.byteCount(ofClass: index)
            let previous = SizeClass.byteCount(ofClass: index - 1)
            #expect((size - previous) * 8 <= previous)
            #expect(size % 16 == 0)
        }
    }

    @Test func reciprocalDividesExactlyForEveryOffsetInASpan() {
        for index in 0 ..< SizeClass.count {
            let size = UInt64(SizeClass.byteCount(ofClass: index))
            let reciprocal = UInt64(SizeClass.reciprocal(ofSlotSize: Int(size)))
            var offset: UInt64 = 0
            while offset < 65536 {
                if (offset &* reciprocal) >> 32 != offset / size {
                    Issue.record("class \(index) offset \(offset)")
                    return
                }
                offset += 1
            }
        }
    }

    @Test func divisibilityTestIsExactForEveryOffsetInASpan() {
        for index in 0 ..< SizeClass.count {
            let size = UInt32(SizeClass.byteCount(ofClass: index))
            let reciprocal = SizeClass.reciprocal(ofSlotSize: Int(size))
            var offset: UInt32 = 0
            while offset < 65536 {
                if SizeClass.isMultiple(offset, reciprocal: reciprocal) != (offset % size == 0) {
                    Issue.record("class \(index) offset \(offset)")
                    return
                }
                offset += 1
            }
        }
    }

    @Test func alignedClassIsAMultipleOfTheAlignment() {
        for alignment in [32, 64, 128, 256, 512, 1024] {
            for size in stride(from: 0, through: 1024, by: 7) {
                let index = SizeClass.index(atLeast: SizeClass.index(forByteCount: max(size, alignment)), alignedTo: alignment)
                #expect(SizeClass.byteCount(ofClass: index) % alignment == 0)
                #expect(SizeClass.byteCount(ofClass: index) >= size)
            }
        }
    }
}

@Suite struct MediumBinTests {
    @Test func requestBinHoldsOnlyBigEnoughBlocks() {
        // The smallest size that lands in bin b, for sizes 64 ... 2^18.
        var lowest: [Int: Int] = [:]
        for size in stride(from: 64, through: 1 << 18, by: 16) {
            let bin = MediumBins.bin(ofFreeSize: size)
            if lowest[bin] == nil { lowest[bin] = size }
            #expect(bin < MediumBins.binCount)
        }
        for request in stride(from: 64, through: (1 << 18) - 4096, by: 16) {
            let bin = MediumBins.bin(ofRequest: request)
            if let low = lowest[bin] { #expect(low >= request, "request \(request) bin \(bin)") }
            // The request never skips a bin whose blocks are all large enough.
            #expect(MediumBins.bin(ofFreeSize: request) <= bin)
        }
    }
}
