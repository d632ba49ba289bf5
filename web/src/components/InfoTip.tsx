import { useId } from "react";

interface InfoTipProps {
  /** What the tip explains, for the button's name ("What is Service level?"). */
  subject: string;
  text: string;
}

/** A small "i" button that shows a definition on hover and on keyboard focus; screen readers get it as a description. */
export function InfoTip({ subject, text }: InfoTipProps) {
  const id = useId();
  if (!text) return null;
  return (
    <span className="info-tip">
      <button type="button" className="info-tip-button" aria-label={`What is ${subject}?`} aria-describedby={id}>
        i
      </button>
      <span role="tooltip" id={id} className="info-tip-text">
        {text}
      </span>
    </span>
  );
}
