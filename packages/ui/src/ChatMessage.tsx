// One line of a conversation: typed (chat) or spoken (transcript), partial or final, with who said
// it, when, and (for staff) the customer's mood. Spoken and typed lines share one look; a spoken
// line is marked by its tag ("said" / "speaking…") and a dashed border.
import type { SentimentMark } from "./types.js";

export type Speaker = "customer" | "agent";

export interface ChatMessageProps {
  speaker: Speaker;
  kind: "chat" | "transcript";
  text: string;
  /** A partial transcript's part that will not change any more; the rest is shown as unstable. */
  stableText?: string;
  /** False while the speaker is still talking (a partial transcript). */
  final?: boolean;
  /** Who said it, as the viewer should read it ("You", "Customer", "Agent"). */
  speakerLabel: string;
  /** A name after the label (the agent's name). */
  author?: string;
  /** The viewer's own line (drawn on the viewer's side). */
  own?: boolean;
  /** When it was said, already formatted ("1:05"), with the machine-readable value in `dateTime`. */
  time?: string;
  dateTime?: string;
  sentiment?: SentimentMark;
}

export const SENTIMENT_ICON = { negative: "▼", neutral: "●", positive: "▲" } as const;

/** A list item: put it in an `<ol>` or `<ul>`. */
export function ChatMessage(props: ChatMessageProps) {
  const { speaker, kind, text, stableText, final = true, sentiment } = props;
  const partial = kind === "transcript" && !final;
  return (
    <li className={`line line-${speaker} ${props.own ? "line-own" : ""}`} data-kind={kind} data-final={final}>
      <span className="line-speaker">
        {props.speakerLabel}
        {props.author && <span className="line-author">{props.author}</span>}
        {kind === "transcript" && <span className="line-tag">{final ? "said" : "speaking…"}</span>}
      </span>
      <span className="line-text">
        {partial ? (
          <>
            <span>{stableText}</span>
            <span className="unstable">{text.slice(stableText?.length ?? 0)}</span>
          </>
        ) : (
          text
        )}
      </span>
      {props.time && (
        <time className="line-time" dateTime={props.dateTime}>
          {props.time}
        </time>
      )}
      {sentiment && (
        <span
          className={`sentiment sentiment-${sentiment.label}`}
          title={`Sentiment ${sentiment.score.toFixed(2)}`}
          aria-label={`Sentiment: ${sentiment.label}`}
          role="img"
        >
          {SENTIMENT_ICON[sentiment.label]}
        </span>
      )}
    </li>
  );
}
