import { SENTIMENT_ICON } from "@earshot/ui";

/** What the conversation's marks mean: spoken vs typed lines, and (for staff) the customer's mood marks. */
export function ConversationKey({ showSentiment = false }: { showSentiment?: boolean }) {
  return (
    <ul className="conversation-key" aria-label="How to read the conversation">
      <li>
        <span className="line-tag">said</span>: spoken, transcribed
      </li>
      <li>
        <span className="line-tag">speaking…</span>: still being transcribed
      </li>
      <li>no tag: typed in the chat</li>
      {showSentiment &&
        (["positive", "neutral", "negative"] as const).map((label) => (
          <li key={label}>
            <span className={`sentiment-${label}`} aria-hidden="true">
              {SENTIMENT_ICON[label]}
            </span>{" "}
            customer {label}
          </li>
        ))}
    </ul>
  );
}
