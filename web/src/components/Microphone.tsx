import type { ReactNode } from "react";
import { CallControls, useAudioCall } from "@earshot/ui";
import type { SocketHandle } from "../state/useCallSocket";
import { useShortcut } from "./Shortcuts";

interface MicrophoneProps {
  send: Pick<SocketHandle, "send" | "sendBinary">;
  /** Capture only while a call is in progress. */
  active: boolean;
  /** M mutes and unmutes (the agent console). */
  muteShortcut?: boolean;
  /** A transfer control, in the call controls (the agent console). */
  transfer?: ReactNode;
}

/** The speaker's microphone in a call: streams audio over the call's socket, with mute and an input level meter. */
export function Microphone({ send, active, muteShortcut = false, transfer }: MicrophoneProps) {
  const audio = useAudioCall({
    active,
    onFrame: (pcm) => send.sendBinary(pcm),
    onStart: () => send.send({ type: "audio_start", format: "pcm16", sample_rate: 16000 }),
    onStop: () => send.send({ type: "audio_stop" }),
  });
  useShortcut("m", audio.toggleMute, active && muteShortcut);
  if (!active) return null;
  return (
    <CallControls muted={audio.muted} onToggleMute={audio.toggleMute} level={audio.level} transfer={transfer}>
      {audio.problem && (
        <p className="microphone-problem" role="status">
          {audio.problem} You can still use the chat.{" "}
          <button className="link-button" onClick={audio.retry}>
            Try again
          </button>
        </p>
      )}
    </CallControls>
  );
}
