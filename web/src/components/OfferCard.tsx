import { useEffect, useRef, useState } from "react";
import type { CallOffer } from "../lib/protocol";
import { useIncomingCallNotification, useRing, useRingMuted } from "./Ringer";

interface OfferCardProps {
  offer: CallOffer;
  onAccept: () => void;
  onDecline: () => void;
  now?: () => number;
}

export function secondsLeft(expiresAt: string, now: number): number {
  return Math.max(0, Math.ceil((Date.parse(expiresAt) - now) / 1000));
}

/** A ringing call: who, from where, how long they waited, and how long is left to answer. */
export function OfferCard({ offer, onAccept, onDecline, now = Date.now }: OfferCardProps) {
  const [left, setLeft] = useState(() => secondsLeft(offer.expires_at, now()));
  const accept = useRef<HTMLButtonElement>(null);
  const [ringMuted, setRingMuted] = useRingMuted();
  useRing(left > 0, ringMuted);
  useIncomingCallNotification(offer.customer_name);
  useEffect(() => {
    accept.current?.focus();
    const handle = setInterval(() => setLeft(secondsLeft(offer.expires_at, now())), 250);
    return () => clearInterval(handle);
  }, [offer.expires_at, now]);

  return (
    <section className="card offer" aria-labelledby="offer-title" role="alertdialog">
      <p className="eyebrow ringing">Incoming {offer.channel === "phone" ? "phone" : "web"} call</p>
      <h2 id="offer-title">{offer.customer_name}</h2>
      <p className="muted">Waited {Math.round(offer.waited_seconds)} s in the queue</p>
      <p className="countdown">{left > 0 ? `${left} s to answer` : "Offer expiring…"}</p>
      <div className="countdown-bar" aria-hidden="true">
        <div className="countdown-fill" style={{ width: `${Math.min(100, (left / Math.max(1, offer.timeout_seconds)) * 100)}%` }} />
      </div>
      <div className="actions">
        <button ref={accept} type="button" className="button button-primary button-large" aria-keyshortcuts="A" onClick={onAccept}>
          Accept
        </button>
        <button type="button" className="button button-large" onClick={onDecline}>
          Decline
        </button>
        <button type="button" className="button button-small" aria-pressed={ringMuted} onClick={() => setRingMuted(!ringMuted)}>
          {ringMuted ? "Ring muted" : "Mute ring"}
        </button>
      </div>
    </section>
  );
}
