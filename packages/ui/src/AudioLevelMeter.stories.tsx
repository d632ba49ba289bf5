import type { Meta, StoryObj } from "@storybook/react-vite";
import { AudioLevelMeter } from "./AudioLevelMeter.js";

const meta = { component: AudioLevelMeter, title: "Call/AudioLevelMeter" } satisfies Meta<typeof AudioLevelMeter>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Silent: Story = { args: { level: 0 } };
export const Speaking: Story = { args: { level: 0.06 } };
export const Loud: Story = { args: { level: 0.5 } };
export const Muted: Story = { args: { level: 0.2, muted: true } };
