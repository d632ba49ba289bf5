import type { Meta, StoryObj } from "@storybook/react-vite";
import { ChatMessage } from "./ChatMessage.js";

const meta = {
  component: ChatMessage,
  title: "Conversation/ChatMessage",
  decorators: [
    (Story) => (
      <ol className="timeline" aria-label="Conversation" style={{ listStyle: "none", padding: 0, display: "flex", flexDirection: "column" }}>
        <Story />
      </ol>
    ),
  ],
  args: { speaker: "customer", kind: "chat", text: "Where is my order?", speakerLabel: "Customer", time: "0:12" },
} satisfies Meta<typeof ChatMessage>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Typed: Story = {};
export const OwnLine: Story = { args: { speaker: "agent", speakerLabel: "You", own: true, text: "Let me check that for you." } };
export const OtherAgent: Story = { args: { speaker: "agent", speakerLabel: "Agent", author: "Alex Moreno", text: "Hello Dana, how can I help?" } };
export const SpokenFinal: Story = { args: { kind: "transcript", final: true, text: "It was due on Monday." } };
export const SpokenPartial: Story = { args: { kind: "transcript", final: false, stableText: "It was due", text: "It was due on Mon" } };
export const Negative: Story = { args: { text: "This is the third time I call about it!", sentiment: { label: "negative", score: -0.72 } } };
export const Neutral: Story = { args: { text: "My order number is 10234.", sentiment: { label: "neutral", score: 0 } } };
export const Positive: Story = { args: { text: "Great, thank you so much!", sentiment: { label: "positive", score: 0.81 } } };
export const LongText: Story = {
  args: {
    text:
      "I ordered the headphones three weeks ago, the website said they would arrive within five working days, then the tracking page stopped updating, and nobody answered my two emails, so I would like to know whether they are lost and, if they are, whether you can send another pair or refund me: https://shop.example.com/orders/10234/tracking/1Z999AA10123456784",
  },
};
