import type { SentimentEvent } from "../lib/protocol";

/** A small line chart of the per-utterance score (dots) and the call's trend (line), -1..1. */
export function SentimentTrend({ points, width = 260, height = 70 }: { points: SentimentEvent[]; width?: number; height?: number }) {
  if (points.length === 0) return <p className="muted small">No customer utterances yet.</p>;
  const x = (i: number) => (points.length === 1 ? width / 2 : (i / (points.length - 1)) * (width - 10) + 5);
  const y = (v: number) => ((1 - v) / 2) * (height - 10) + 5;
  const trend = points.map((p, i) => `${x(i)},${y(p.trend)}`).join(" ");
  const latest = points[points.length - 1];
  return (
    <figure className="sentiment-trend">
      <svg width={width} height={height} role="img" aria-label={`Sentiment trend ${latest.trend.toFixed(2)}, latest ${latest.label}`}>
        <line x1={0} x2={width} y1={y(0)} y2={y(0)} className="axis" />
        <polyline points={trend} className="trend-line" fill="none" />
        {points.map((p, i) => (
          <circle key={p.seq} cx={x(i)} cy={y(p.score)} r={3.5} className={`dot-${p.label}`} />
        ))}
      </svg>
      <figcaption className="small">
        Latest: <span className={`sentiment-${latest.label}`}>{latest.label}</span> ({latest.score.toFixed(2)}) · trend{" "}
        {latest.trend.toFixed(2)}
      </figcaption>
    </figure>
  );
}
