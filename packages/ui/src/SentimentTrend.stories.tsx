import type { Meta, StoryObj } from "@storybook/react-vite";
import { sentimentPoints } from "./fixtures.js";
import { SentimentTrend } from "./SentimentTrend.js";

const meta = { component: SentimentTrend, title: "Assist/SentimentTrend" } satisfies Meta<typeof SentimentTrend>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Empty: Story = { args: { points: [] } };
export const OnePoint: Story = { args: { points: sentimentPoints([0.4]) } };
export const Negative: Story = { args: { points: sentimentPoints([-0.2, -0.5, -0.7, -0.8]) } };
export const Neutral: Story = { args: { points: sentimentPoints([0, 0.02, -0.01, 0]) } };
export const Positive: Story = { args: { points: sentimentPoints([0.1, 0.4, 0.6, 0.8]) } };
export const Recovering: Story = { args: { points: sentimentPoints([-0.8, -0.6, -0.1, 0.3, 0.5, 0.7]) } };
export const LongCall: Story = { args: { points: sentimentPoints(Array.from({ length: 60 }, (_, i) => Math.sin(i / 5) * 0.8)) } };
