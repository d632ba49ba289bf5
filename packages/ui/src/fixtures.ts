// Sample data for the stories and tests: the shapes Earshot's server sends.
import type { CustomerRecord, SentimentPoint, Suggestion } from "./types.js";

export const trackOrder: Suggestion = {
  suggestion_id: "s1",
  action: "track_order",
  suggestion: "Look up order #10234 and give the customer the tracking number and delivery date.",
  reasoning: "The customer asks where their parcel is; order #10234 shipped on Monday.",
  confidence: 0.86,
  utterance: "Where is my parcel? It was due yesterday.",
  sources: [{ id: "kb-shipping", title: "Shipping times and tracking" }],
};

export const unsure: Suggestion = {
  suggestion_id: "s2",
  action: "ask_question",
  suggestion: "Ask which account the customer is calling about.",
  reasoning: "Several accounts match the caller's phone number.",
  confidence: 0.32,
  sources: [],
};

export const customer: CustomerRecord = {
  id: 7,
  name: "Dana Whitfield",
  status: "vip",
  email: "dana@example.com",
  phone: "+1 555 0134",
  lifetime_value: 1840.5,
  recent_orders: [
    { number: "10234", items: "Noise-cancelling headphones", total: 249.99, status: "shipped", carrier: "UPS", tracking_number: "1Z999AA10123456784", expected_delivery: "2026-12-03" },
    { number: "10102", items: "USB-C cable (2 m)", total: 12.5, status: "delivered" },
  ],
  open_tickets: [{ id: 31, subject: "Late delivery", status: "open", priority: "high" }],
};

export function sentimentPoints(scores: number[]): SentimentPoint[] {
  let trend = 0;
  return scores.map((score, index) => {
    trend = index === 0 ? score : trend * 0.6 + score * 0.4;
    const label = score <= -0.05 ? "negative" : score >= 0.05 ? "positive" : "neutral";
    return { seq: index + 1, score, trend, label };
  });
}
