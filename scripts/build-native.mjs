// Builds the optional XDP fast path (BPF object + libbpf addon). Never fails the install: without clang or
// libbpf the node runs socket-only and `edgens serve` says how to enable the fast path.
console.log("edgens: native fast path not built yet (placeholder)");
