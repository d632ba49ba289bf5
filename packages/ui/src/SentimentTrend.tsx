// The customer's mood over a call: each utterance's score (dots) and the running trend (line), on a
// -1..1 axis, with a legend for the marks.
import { SENTIMENT_ICON } from "./ChatMessage.js";
import type { SentimentPoint } from "./types.js";

export interface SentimentTrendProps {
  points: SentimentPoint[];
  width?: number;
  height?: number;
  emptyText?: string;
}

const AXIS_GUTTER = 26; // room for the y-axis labels
const X_LABEL = 14; // room for the x-axis caption

export function SentimentTrend({ points, width = 260, height = 84, emptyText = "No customer utterances yet." }: SentimentTrendProps) {
  if (points.length === 0) return <p className="muted small">{emptyText}</p>;
  const plotWidth = width - AXIS_GUTTER - 5;
  const plotHeight = height - X_LABEL - 10;
  const x = (i: number) => AXIS_GUTTER + (points.length === 1 ? plotWidth / 2 : (i / (points.length - 1)) * plotWidth);
  const y = (v: number) => ((1 - v) / 2) * plotHeight + 5;
  const trend = points.map((p, i) => `${x(i)},${y(p.trend)}`).join(" ");
  const latest = points[points.length - 1];
  return (
    <figure className="sentiment-trend">
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={`Sentiment trend ${latest.trend.toFixed(2)}, latest ${latest.label}`}>
        {[1, 0, -1].map((value) => (
          <g key={value}>
            <line x1={AXIS_GUTTER} x2={width} y1={y(value)} y2={y(value)} className={value === 0 ? "axis" : "grid"} />
            <text x={AXIS_GUTTER - 4} y={y(value) + 3} textAnchor="end" className="axis-label">
              {value > 0 ? "+1" : value < 0 ? "−1" : "0"}
            </text>
          </g>
        ))}
        <text x={AXIS_GUTTER + plotWidth / 2} y={height - 2} textAnchor="middle" className="axis-label">
          customer lines, oldest → latest
        </text>
        <polyline points={trend} className="trend-line" fill="none" />
        {points.map((p, i) => (
          <circle key={p.seq} cx={x(i)} cy={y(p.score)} r={3.5} className={`dot-${p.label}`} />
        ))}
      </svg>
      <figcaption className="small">
        Latest: <span className={`sentiment-${latest.label}`}>{latest.label}</span> ({latest.score.toFixed(2)}) · trend{" "}
        {latest.trend.toFixed(2)}
      </figcaption>
      <SentimentLegend />
    </figure>
  );
}

/** What the marks mean: the same marks as on the conversation's lines. */
export function SentimentLegend() {
  return (
    <ul className="sentiment-legend small" aria-label="Sentiment marks">
      {(["positive", "neutral", "negative"] as const).map((label) => (
        <li key={label}>
          <span className={`sentiment-${label}`} aria-hidden="true">
            {SENTIMENT_ICON[label]}
          </span>{" "}
          {label}
        </li>
      ))}
      <li>
        <span className="legend-line" aria-hidden="true" /> trend
      </li>
    </ul>
  );
}
