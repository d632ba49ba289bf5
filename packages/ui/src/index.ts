// @earshot/ui: the call-center console's components and hooks.
export { AudioLevelMeter, levelPercent, type AudioLevelMeterProps } from "./AudioLevelMeter.js";
export { ChatMessage, SENTIMENT_ICON, type ChatMessageProps, type Speaker } from "./ChatMessage.js";
export { CallControls, type CallControlsProps } from "./CallControls.js";
export { CustomerInfoCard, type CustomerInfoCardProps } from "./CustomerInfoCard.js";
export { AISuggestionPanel, LOW_CONFIDENCE, NOT_SURE_TEXT, confidencePercent, type AISuggestionPanelProps } from "./AISuggestionPanel.js";
export { SentimentLegend, SentimentTrend, type SentimentTrendProps } from "./SentimentTrend.js";
export { MetricCard, type MetricCardProps } from "./MetricCard.js";
export { useAudioCall, type AudioCall, type AudioCallOptions } from "./useAudioCall.js";
export {
  DEFAULT_WORKLET_URL,
  describeMicrophoneError,
  MicrophoneError,
  startMicrophone,
  type MicrophoneCapture,
  type MicrophoneProblem,
} from "./microphone.js";
export type * from "./types.js";
