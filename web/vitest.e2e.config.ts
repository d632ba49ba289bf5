import { defineConfig } from "vitest/config";

// Browser end-to-end tests: a real Earshot server and Debian's Chromium, one file at a time.
export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
