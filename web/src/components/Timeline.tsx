import { ChatMessage } from "@earshot/ui";
import "@earshot/ui/styles.css";
import { useEffect, useRef } from "react";
import type { Speaker, TimelineEntry } from "../state/call";
import { ConversationKey } from "./ConversationKey";

interface TimelineProps {
  entries: TimelineEntry[];
  /** Whose point of view: their own lines are labelled "You". */
  viewer: Speaker | "supervisor";
  showSentiment?: boolean;
  emptyText: string;
}

/** Minutes and seconds since the call started ("1:05"). */
export function formatOffset(offsetMs: number): string {
  const seconds = Math.max(0, Math.floor(offsetMs / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** The conversation: chat lines and spoken words of both sides, in order, with speaker labels and times. */
export function Timeline({ entries, viewer, showSentiment = false, emptyText }: TimelineProps) {
  const end = useRef<HTMLLIElement>(null);
  useEffect(() => {
    end.current?.scrollIntoView?.({ block: "end" });
  }, [entries]);

  // The live region wraps the list, so the lines keep their list semantics; the list scrolls and
  // takes focus, so keyboard users can scroll it too.
  return (
    <>
      <div className="timeline-log" role="log" aria-live="polite" aria-label="Conversation">
        <ol className="timeline" data-viewer={viewer} tabIndex={0} aria-label="Conversation lines">
          {entries.length === 0 && <li className="timeline-empty">{emptyText}</li>}
          {entries.map((entry) =>
            entry.kind === "system" || !entry.speaker ? (
              <li key={entry.key} className="line line-system">
                {entry.text}
              </li>
            ) : (
              <ChatMessage
                key={entry.key}
                speaker={entry.speaker}
                kind={entry.kind}
                text={entry.text}
                stableText={entry.stableText}
                final={entry.kind === "chat" || entry.final === true}
                own={entry.speaker === viewer}
                speakerLabel={entry.speaker === viewer ? "You" : entry.speaker === "customer" ? "Customer" : "Agent"}
                author={entry.author && entry.speaker !== viewer ? entry.author : undefined}
                time={formatOffset(entry.offsetMs)}
                sentiment={showSentiment ? entry.sentiment : undefined}
              />
            ),
          )}
          <li ref={end} aria-hidden="true" className="timeline-end" />
        </ol>
      </div>
      {/* Outside the live region: it is read once, not with every new line. */}
      <ConversationKey showSentiment={showSentiment} />
    </>
  );
}
