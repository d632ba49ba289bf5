// Microphone capture: getUserMedia + an AudioWorklet producing 16 kHz PCM16 frames (not MediaRecorder,
// whose WebM chunks are not independently decodable and add seconds of delay).

/** Where the app serves `@earshot/ui/pcm-capture-worklet.js` (copy it to its public folder). */
export const DEFAULT_WORKLET_URL = "/pcm-capture-worklet.js";

export interface MicrophoneCapture {
  stop: () => void;
}

export type MicrophoneProblem = "denied" | "missing" | "unsupported" | "failed";

export class MicrophoneError extends Error {
  constructor(readonly problem: MicrophoneProblem, message: string) {
    super(message);
  }
}

export function describeMicrophoneError(error: unknown): MicrophoneError {
  const name = error instanceof DOMException || error instanceof Error ? error.name : "";
  if (name === "NotAllowedError" || name === "SecurityError") {
    return new MicrophoneError("denied", "Microphone access was refused. Allow it in the browser's address bar, then try again.");
  }
  if (name === "NotFoundError" || name === "OverconstrainedError") {
    return new MicrophoneError("missing", "No microphone was found. Connect one, then try again.");
  }
  return new MicrophoneError("failed", `The microphone could not be started${error instanceof Error ? `: ${error.message}` : "."}`);
}

export async function startMicrophone(
  onFrame: (pcm: ArrayBuffer) => void,
  onLevel: (level: number) => void,
  workletUrl: string = DEFAULT_WORKLET_URL,
): Promise<MicrophoneCapture> {
  if (!navigator.mediaDevices?.getUserMedia || typeof AudioWorkletNode === "undefined") {
    throw new MicrophoneError("unsupported", "This browser cannot capture audio here (it needs HTTPS or localhost).");
  }
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true },
    });
  } catch (error) {
    throw describeMicrophoneError(error);
  }
  let context: AudioContext;
  try {
    context = new AudioContext({ sampleRate: 16000 });
  } catch {
    context = new AudioContext(); // the worklet resamples to 16 kHz itself
  }
  try {
    await context.audioWorklet.addModule(workletUrl);
  } catch (error) {
    stream.getTracks().forEach((track) => track.stop());
    await context.close();
    throw describeMicrophoneError(error);
  }
  const source = context.createMediaStreamSource(stream);
  const node = new AudioWorkletNode(context, "pcm-capture");
  node.port.onmessage = (event: MessageEvent<{ pcm: ArrayBuffer; level: number }>) => {
    onFrame(event.data.pcm);
    onLevel(event.data.level);
  };
  source.connect(node);
  // Keeps the graph pulling audio without playing the microphone back.
  const sink = context.createGain();
  sink.gain.value = 0;
  node.connect(sink).connect(context.destination);
  await context.resume();
  return {
    stop: () => {
      node.port.onmessage = null;
      source.disconnect();
      node.disconnect();
      stream.getTracks().forEach((track) => track.stop());
      void context.close();
    },
  };
}
