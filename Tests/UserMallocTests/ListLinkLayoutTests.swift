// The headers' list links are where their IntrusiveListNode conformances say: IntrusiveList
// reads and writes the words at `linkOffset`, the header declares the field.

import Testing
import MemoryCore
@testable import UserMalloc

@Suite struct ListLinkLayoutTests {
    @Test func linkOffsetsMatchTheHeaderFields() {
        #expect(MemoryLayout<SpanHeader>.offset(of: \.listLinks) == SpanRef.linkOffset)
        #expect(MemoryLayout<RegionHeader>.offset(of: \.listLinks) == RegionRef.linkOffset)
        #expect(MemoryLayout<LargeHeader>.offset(of: \.listLinks) == LargeRef.linkOffset)
        #expect(MemoryLayout<SpanHeader>.offset(of: \.freeHead) == SpanRef.freeHeadOffset)
        #expect(MemoryLayout<IntrusiveListLinks>.size == 16)
        // Medium blocks: links in payload words 0 and 1, right after the 16-byte header.
        #expect(MediumBlock.linkOffset == MediumBlock.headerBytes)
        // The span header still fits in the bytes before the first slot.
        #expect(MemoryLayout<SpanHeader>.size <= SpanRef.dataOffset)
        #expect(MemoryLayout<RegionHeader>.size <= RegionRef.bitmapOffset)
        #expect(MemoryLayout<LargeHeader>.size <= LargeRef.headerBytes)
    }
}
