// bpftrace builds that fail before any probe runs, for reasons that are not
// srctrace's program: recognised in what bpftrace printed, so the error can
// say what to do instead of leaving the user with a compiler message.
// Each pattern is the text those releases printed on the development VMs
// (kernel 6.18, from debootstrapped Ubuntu chroots: README, Backends).

const KNOWN: { test: RegExp; hint: string }[] = [
  {
    // Seen with Ubuntu 22.04's 0.14.0 running the other sets' programs: BEGIN
    // and END are uprobes on bpftrace's own BEGIN_trigger/END_trigger
    // symbols, and the package's binary is stripped (0.14 now gets a program
    // without them). A stripped build of a later release would fail alike.
    test: /Could not resolve symbol: \/proc\/self\/exe:(?:BEGIN|END)_trigger/,
    hint: 'this bpftrace binary has no symbol table (it was stripped, as Ubuntu 22.04\'s 0.14.0 package is), so it cannot run BEGIN and END probes, which srctrace\'s programs for bpftrace 0.15 and later need: use another bpftrace build, e.g. SRCTRACE_BPFTRACE=/path/to/bpftrace',
  },
  {
    // bpftrace 0.25 (and releases before bpftrace PR #5113) on a kernel built without modules.
    test: /Error reading modules from \/proc\/modules/,
    hint: 'this bpftrace release cannot start on a kernel built without module support (no /proc/modules; fixed after 0.25, 0.27 works): use another release, e.g. SRCTRACE_BPFTRACE=/path/to/bpftrace',
  },
  {
    // Ubuntu 22.04's 0.14.0 (libbpf 0.5) on kernel 6.18 without the rewritten
    // BTF srctrace now hands it (legacy-bpftrace.ts): it cannot parse the
    // kernel's BTF, so no kernel struct is known, and falls back to headers.
    test: /install BTF information|Unknown struct\/union: 'struct (?:sock|task_struct|inet_sock)'|'linux\/types\.h' file not found/,
    hint: 'this bpftrace cannot read the kernel\'s BTF (/sys/kernel/btf/vmlinux): its libbpf is probably older than the kernel\'s BTF format (as Ubuntu 22.04\'s 0.14.0 could not read kernel 6.18\'s, until srctrace gave it a rewritten copy); use a newer bpftrace',
  },
];

/** What to do about a bpftrace that failed to start, when its output says why; else null. */
export function knownFailure(stderr: string | undefined): string | null {
  if (!stderr) return null;
  return KNOWN.find((k) => k.test.test(stderr))?.hint ?? null;
}
