import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

// Unit tests of the components in jsdom (the stories run in Chromium: vitest.stories.config.ts).
export default defineConfig({
  plugins: [react()],
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.{ts,tsx}"],
  },
});
