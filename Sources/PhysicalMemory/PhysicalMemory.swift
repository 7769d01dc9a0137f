// Physical memory: multiboot memory-map parsing and normalisation, the early bump allocator, and the page-frame allocator.
