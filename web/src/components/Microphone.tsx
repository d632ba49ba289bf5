import { useEffect, useRef, useState } from "react";
import { describeMicrophoneError, MicrophoneError, startMicrophone, type MicrophoneCapture } from "../lib/microphone";
import type { SocketHandle } from "../state/useCallSocket";

interface MicrophoneProps {
  send: Pick<SocketHandle, "send" | "sendBinary">;
  /** Capture only while a call is in progress. */
  active: boolean;
}

/** The speaker's microphone in a call: streams audio, with mute and an input level meter. */
export function Microphone({ send, active }: MicrophoneProps) {
  const [muted, setMuted] = useState(false);
  const [level, setLevel] = useState(0);
  const [problem, setProblem] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const capture = useRef<MicrophoneCapture | null>(null);
  const sendRef = useRef(send);
  sendRef.current = send;
  const live = active && !muted;

  useEffect(() => {
    if (!live) return;
    let cancelled = false;
    setProblem(null);
    startMicrophone(
      (pcm) => sendRef.current.sendBinary(pcm),
      (value) => setLevel(value),
    )
      .then((started) => {
        if (cancelled) {
          started.stop();
          return;
        }
        capture.current = started;
        sendRef.current.send({ type: "audio_start", format: "pcm16", sample_rate: 16000 });
      })
      .catch((error) => {
        if (!cancelled) setProblem((error instanceof MicrophoneError ? error : describeMicrophoneError(error)).message);
      });
    return () => {
      cancelled = true;
      if (capture.current) {
        capture.current.stop();
        capture.current = null;
        sendRef.current.send({ type: "audio_stop" });
      }
      setLevel(0);
    };
  }, [live, attempt]);

  if (!active) return null;
  const percent = Math.min(100, Math.round(Math.sqrt(level) * 180));
  return (
    <div className="microphone">
      <button
        className={`button ${muted ? "button-warn" : ""}`}
        aria-pressed={muted}
        onClick={() => setMuted((value) => !value)}
      >
        {muted ? "Unmute" : "Mute"}
      </button>
      <div className="meter" role="meter" aria-label="Microphone level" aria-valuemin={0} aria-valuemax={100} aria-valuenow={muted ? 0 : percent}>
        <div className="meter-fill" style={{ width: `${muted ? 0 : percent}%` }} />
      </div>
      {problem && (
        <p className="microphone-problem" role="status">
          {problem} You can still use the chat.{" "}
          <button className="link-button" onClick={() => setAttempt((n) => n + 1)}>
            Try again
          </button>
        </p>
      )}
    </div>
  );
}
