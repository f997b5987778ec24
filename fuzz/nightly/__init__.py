"""ci/fuzz-nightly's modules: libFuzzer output parsing, crash triage, summaries."""
