import type { Meta, StoryObj } from "@storybook/react-vite";
import { CustomerInfoCard } from "./CustomerInfoCard.js";
import { customer } from "./fixtures.js";

const meta = { component: CustomerInfoCard, title: "Assist/CustomerInfoCard", args: { customer } } satisfies Meta<typeof CustomerInfoCard>;
export default meta;
type Story = StoryObj<typeof meta>;

export const Found: Story = {};
export const Loading: Story = { args: { customer: null, loading: true } };
export const Empty: Story = { args: { customer: null, notice: <p>No customer record matches this caller.</p> } };
export const Error: Story = { args: { customer: null, error: "The customer service is not answering; try again in a moment." } };
export const NoOrdersOrTickets: Story = { args: { customer: { ...customer, status: "active", recent_orders: [], open_tickets: [] } } };
export const LongText: Story = {
  args: {
    customer: {
      ...customer,
      name: "Maximiliana Alexandrina Featherstonehaugh-Cholmondeley",
      email: "maximiliana.alexandrina.featherstonehaugh-cholmondeley@a-very-long-company-domain.example.com",
    },
  },
};
export const WithTicketAction: Story = {
  args: { ticketAction: () => <button type="button" className="button button-small">Close</button> },
};
