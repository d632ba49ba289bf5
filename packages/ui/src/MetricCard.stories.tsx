import type { Meta, StoryObj } from "@storybook/react-vite";
import { MetricCard } from "./MetricCard.js";

const meta = {
  component: MetricCard,
  title: "Dashboard/MetricCard",
  decorators: [
    (Story) => (
      <dl style={{ maxWidth: "14rem", margin: 0 }}>
        <Story />
      </dl>
    ),
  ],
  args: { id: "aht", label: "Average handle time", value: "4 min 12 s" },
} satisfies Meta<typeof MetricCard>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Value: Story = {};
export const Loading: Story = { args: { value: null } };
export const Error: Story = { args: { value: null, error: "Not available" } };
export const WithDetail: Story = { args: { detail: "target under 5 min" } };
export const LongText: Story = { args: { label: "Share of calls resolved on the first contact, this week", value: "87 %" } };
