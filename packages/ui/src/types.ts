// The shapes the components read. They match Earshot's protocol messages field for field, so the
// app passes its events straight in; other apps build them from their own data.

export type SentimentLabel = "negative" | "neutral" | "positive";

/** The mood of one customer line. */
export interface SentimentMark {
  label: SentimentLabel;
  /** -1 (very negative) .. 1 (very positive). */
  score: number;
}

/** One point of a call's sentiment: the utterance's score and the call's running trend. */
export interface SentimentPoint extends SentimentMark {
  seq: number;
  trend: number;
}

export interface SuggestionSource {
  id: string;
  title: string;
}

/** What to do next, and why. */
export interface Suggestion {
  suggestion_id: string;
  /** A machine name such as `track_order`; shown through `actionLabels`. */
  action: string;
  suggestion: string;
  reasoning: string;
  /** 0..1. */
  confidence: number;
  /** The customer's words the suggestion answers. */
  utterance?: string;
  sources: SuggestionSource[];
}

export type SuggestionState = "new" | "accepted" | "dismissed";

export interface SuggestionRecord {
  suggestion: Suggestion;
  state: SuggestionState;
}

export interface CustomerOrder {
  number: string;
  items: string;
  total: number;
  status: string;
  carrier?: string | null;
  tracking_number?: string | null;
  expected_delivery?: string | null;
}

export interface CustomerTicket {
  id: number;
  subject: string;
  status: string;
  priority: string;
}

export interface CustomerRecord {
  id: number;
  name: string;
  /** e.g. `active`, `vip`, `suspended`: shown as a badge. */
  status: string;
  email: string | null;
  phone: string | null;
  lifetime_value: number;
  recent_orders: CustomerOrder[];
  open_tickets: CustomerTicket[];
}
