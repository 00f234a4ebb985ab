"""Developer tools behind scripts/: the demo and the benchmark."""
