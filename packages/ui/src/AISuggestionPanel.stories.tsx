import type { Meta, StoryObj } from "@storybook/react-vite";
import { expect, fn, userEvent, within } from "storybook/test";
import { AISuggestionPanel } from "./AISuggestionPanel.js";
import { trackOrder, unsure } from "./fixtures.js";

const meta = {
  component: AISuggestionPanel,
  title: "Assist/AISuggestionPanel",
  args: { suggestion: trackOrder, state: "new", onUse: fn(), onDismiss: fn(), actionLabels: { track_order: "Track the order", ask_question: "Ask a question" } },
} satisfies Meta<typeof AISuggestionPanel>;
export default meta;
type Story = StoryObj<typeof meta>;

export const HighConfidence: Story = {
  play: async ({ args, canvasElement }) => {
    await userEvent.click(within(canvasElement).getByRole("button", { name: /Use it/ }));
    await expect(args.onUse).toHaveBeenCalledWith(trackOrder);
  },
};
export const LowConfidence: Story = { args: { suggestion: unsure } };
export const Used: Story = { args: { state: "accepted" } };
export const Dismissed: Story = { args: { state: "dismissed" } };
export const Empty: Story = { args: { suggestion: null } };
export const Loading: Story = { args: { suggestion: null, loading: true } };
export const Error: Story = { args: { suggestion: null, error: "Suggestions are unavailable: the language model did not answer." } };
export const ReadOnly: Story = { args: { onUse: undefined, onDismiss: undefined } };
export const WithShortcut: Story = { args: { useShortcut: "U" } };
export const WithHistory: Story = {
  args: {
    history: [
      { suggestion: { ...unsure, suggestion_id: "h1" }, state: "accepted" },
      { suggestion: { ...trackOrder, suggestion_id: "h2", suggestion: "Apologise for the delay." }, state: "dismissed" },
    ],
  },
};
export const LongText: Story = {
  args: {
    suggestion: {
      ...trackOrder,
      suggestion:
        "Apologise for the delay, confirm the delivery address, look up order #10234 with the carrier, give the customer the tracking number, and offer a replacement shipped overnight if the parcel has not moved for more than three working days.",
      sources: [
        { id: "a", title: "Shipping times and tracking" },
        { id: "b", title: "Replacements for lost parcels" },
        { id: "c", title: "Goodwill gestures for late deliveries" },
      ],
    },
  },
};
