"""Developer tools: demo, watch, benchmarks and a local broker."""
