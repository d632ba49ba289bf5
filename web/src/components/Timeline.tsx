import { useEffect, useRef } from "react";
import type { Speaker, TimelineEntry } from "../state/call";

interface TimelineProps {
  entries: TimelineEntry[];
  /** Whose point of view: their own lines are labelled "You". */
  viewer: Speaker | "supervisor";
  showSentiment?: boolean;
  emptyText: string;
}

const SENTIMENT_ICON = { negative: "▼", neutral: "●", positive: "▲" } as const;

/** The conversation: chat lines and spoken words of both sides, in order, with speaker labels. */
export function Timeline({ entries, viewer, showSentiment = false, emptyText }: TimelineProps) {
  const end = useRef<HTMLLIElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "end" });
  }, [entries]);

  return (
    <ol className="timeline" data-viewer={viewer} role="log" aria-live="polite" aria-label="Conversation">
      {entries.length === 0 && <li className="timeline-empty">{emptyText}</li>}
      {entries.map((entry) =>
        entry.kind === "system" ? (
          <li key={entry.key} className="line line-system">
            {entry.text}
          </li>
        ) : (
          <li
            key={entry.key}
            className={`line line-${entry.speaker} ${entry.speaker === viewer ? "line-own" : ""}`}
            data-kind={entry.kind}
          >
            <span className="line-speaker">
              {entry.speaker === viewer ? "You" : entry.speaker === "customer" ? "Customer" : "Agent"}
              {entry.author && entry.speaker !== viewer && <span className="line-author">{entry.author}</span>}
              {entry.kind === "transcript" && <span className="line-tag">{entry.final ? "said" : "speaking…"}</span>}
            </span>
            <span className="line-text">
              {entry.kind === "transcript" && !entry.final ? (
                <>
                  <span>{entry.stableText}</span>
                  <span className="unstable">{entry.text.slice(entry.stableText?.length ?? 0)}</span>
                </>
              ) : (
                entry.text
              )}
            </span>
            {showSentiment && entry.sentiment && (
              <span
                className={`sentiment sentiment-${entry.sentiment.label}`}
                title={`Sentiment ${entry.sentiment.score.toFixed(2)}`}
                aria-label={`Sentiment: ${entry.sentiment.label}`}
              >
                {SENTIMENT_ICON[entry.sentiment.label]}
              </span>
            )}
          </li>
        ),
      )}
      <li ref={end} aria-hidden="true" className="timeline-end" />
    </ol>
  );
}
