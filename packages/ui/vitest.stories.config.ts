import { defineConfig } from "vitest/config";

// Every story of the built Storybook (storybook-static/), rendered in Debian's Chromium with axe.
export default defineConfig({
  test: {
    environment: "node",
    include: ["test/**/*.stories.ts"],
    testTimeout: 300_000,
    hookTimeout: 60_000,
  },
});
