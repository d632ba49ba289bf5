import { useEffect, useState } from "react";

const MUTED_KEY = "earshot.ring-muted";
const RING_EVERY_MS = 3000;

/** Whether the agent silenced the ring, kept across visits. */
export function useRingMuted(): [boolean, (muted: boolean) => void] {
  const [muted, setMuted] = useState(() => localStorage.getItem(MUTED_KEY) === "1");
  const update = (next: boolean) => {
    localStorage.setItem(MUTED_KEY, next ? "1" : "0");
    setMuted(next);
  };
  return [muted, update];
}

/** Two short tones, like a phone: generated, so there is no sound file to load. */
function ringOnce(context: AudioContext): void {
  const start = context.currentTime;
  for (const [offset, frequency] of [[0, 880], [0.25, 660]] as const) {
    const tone = context.createOscillator();
    const gain = context.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.15, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.22);
    tone.connect(gain).connect(context.destination);
    tone.start(start + offset);
    tone.stop(start + offset + 0.22);
  }
}

/** Rings every few seconds while `ringing` and not muted. */
export function useRing(ringing: boolean, muted: boolean): void {
  useEffect(() => {
    if (!ringing || muted || typeof AudioContext === "undefined") return;
    const context = new AudioContext();
    const ring = () => {
      void context.resume();
      ringOnce(context);
    };
    ring();
    const handle = setInterval(ring, RING_EVERY_MS);
    return () => {
      clearInterval(handle);
      void context.close();
    };
  }, [ringing, muted]);
}

/** Tells an agent whose tab is in the background that a call is ringing (when they allowed notifications). */
export function useIncomingCallNotification(customerName: string | null): void {
  useEffect(() => {
    if (!customerName || typeof Notification === "undefined" || Notification.permission !== "granted") return;
    if (document.visibilityState !== "hidden") return;
    const notification = new Notification("Incoming call", { body: `${customerName} is waiting`, tag: "earshot-offer" });
    notification.onclick = () => {
      window.focus();
      notification.close();
    };
    return () => notification.close();
  }, [customerName]);
}

/** Asks once for desktop notifications, from a click (browsers ignore the request otherwise). */
export function askForNotifications(): void {
  if (typeof Notification !== "undefined" && Notification.permission === "default") void Notification.requestPermission();
}
