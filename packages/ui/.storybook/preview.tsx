import type { Preview } from "@storybook/react-vite";
import "../src/styles.css";

const preview: Preview = {
  tags: ["autodocs"],
  parameters: {
    // Serious and critical findings fail the story tests (test/stories.test.ts); here they show in the panel.
    a11y: { test: "error" },
  },
  globalTypes: {
    theme: {
      description: "Light or dark tokens",
      toolbar: { title: "Theme", items: ["light", "dark"], dynamicTitle: true },
    },
  },
  initialGlobals: { theme: "light" },
  decorators: [
    (Story, context) => (
      <div
        data-theme={context.globals.theme}
        style={{ padding: "1rem", background: context.globals.theme === "dark" ? "#0f131a" : "#f3f5f9", fontFamily: "system-ui, sans-serif" }}
      >
        <Story />
      </div>
    ),
  ],
};

export default preview;
