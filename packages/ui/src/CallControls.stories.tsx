import type { Meta, StoryObj } from "@storybook/react-vite";
import { fn } from "storybook/test";
import { CallControls } from "./CallControls.js";

const meta = {
  component: CallControls,
  title: "Call/CallControls",
  args: { muted: false, onToggleMute: fn(), onEnd: fn(), level: 0.05 },
} satisfies Meta<typeof CallControls>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Live: Story = {};
export const Muted: Story = { args: { muted: true } };
export const Disabled: Story = { args: { disabled: true, level: 0 } };
export const WithHoldAndTransfer: Story = {
  args: {
    hold: <button type="button" className="button">Hold</button>,
    transfer: <button type="button" className="button">Transfer</button>,
  },
};
export const MicrophoneProblem: Story = {
  args: {
    level: 0,
    children: <p role="status">Microphone access was refused. Allow it in the browser's address bar, then try again.</p>,
  },
};
