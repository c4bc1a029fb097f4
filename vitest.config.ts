import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // Privileged end-to-end tests share the kernel's tracing and namespaces:
    // run files one at a time so labs and bpftrace instances never overlap.
    fileParallelism: false,
    // One temporary directory per run, removed at its end (test/helpers/global-tmp.ts).
    globalSetup: ['test/helpers/global-tmp.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
