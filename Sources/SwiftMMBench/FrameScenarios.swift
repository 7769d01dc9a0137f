func runFrameAllocatorScenarios() {}
