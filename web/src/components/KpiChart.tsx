// uPlot, not Chart.js: about 50 kB minified against Chart.js's 200 kB, and it draws thousands of
// points (400 days by the hour) on a canvas in a few milliseconds. Its legend shows the values
// under the cursor, and every chart has a data table beside it for screen readers.
import { useEffect, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { MetricsInterval } from "../lib/api";
import { formatBucket, formatValue, type ChartData, type KpiUnit } from "../state/dashboard";

const COLOURS = ["#2458d6", "#c02f3a", "#1b7f45", "#9a5b00", "#6d35d6", "#0e7c86"];
const HEIGHT = 220;

// Seconds step by whole minutes and hours once they are that long, so the axis reads 5 min, not 6 min 40 s.
const SECOND_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400];

const RANGES: Partial<Record<KpiUnit, [number, number]>> = { ratio: [0, 1], score: [-1, 1] };

function options(data: ChartData, unit: KpiUnit, kind: "bars" | "lines", width: number): uPlot.Options {
  const bars = kind === "bars" && uPlot.paths.bars;
  const count = data.series.length;
  return {
    width,
    height: HEIGHT,
    // The server counts in UTC; so do the axis and the legend.
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
    cursor: { points: { size: 7 } },
    legend: { live: true },
    scales: {
      x: { time: true },
      y: RANGES[unit] ? { range: RANGES[unit] } : { range: (_u, _min, max) => [0, Math.max(unit === "count" ? 1 : 10, max * 1.1)] },
    },
    axes: [
      { stroke: "#5d6978", grid: { stroke: "#edf0f4" } },
      {
        stroke: "#5d6978",
        grid: { stroke: "#edf0f4" },
        size: unit === "seconds" ? 86 : 64,
        incrs: unit === "seconds" ? SECOND_STEPS : undefined,
        values: (_u, splits) => splits.map((value) => (unit === "count" && !Number.isInteger(value) ? "" : formatValue(unit, value))),
      },
    ],
    series: [
      {},
      ...data.series.map((series, index) => ({
        label: series.label,
        stroke: COLOURS[index % COLOURS.length],
        fill: bars ? `${COLOURS[index % COLOURS.length]}cc` : undefined,
        width: bars ? 0 : 2,
        points: { show: !bars, size: 5 },
        spanGaps: false,
        value: (_u: uPlot, value: number | null) => formatValue(unit, value),
        paths: bars ? bars({ size: [count > 1 ? 0.35 : 0.6, 48], align: count > 1 ? (index === 0 ? -1 : 1) : 0 }) : undefined,
      })),
    ],
  };
}

function aligned(data: ChartData): uPlot.AlignedData {
  return [data.x, ...data.series.map((series) => series.values)];
}

/** The intervals with something to show: a table of zeros and dashes helps nobody. */
function rowsWithData(data: ChartData): number[] {
  return data.x.map((_, row) => row).filter((row) => data.series.some((series) => series.values[row] !== null && series.values[row] !== 0));
}

interface KpiChartProps {
  title: string;
  unit: KpiUnit;
  kind: "bars" | "lines";
  data: ChartData;
  interval: MetricsInterval;
  /** One sentence for screen readers (state/dashboard.ts `chartSummary`). */
  summary: string;
}

/** One chart of KPIs over time, with its figures as a table for anyone who cannot see the canvas. */
export function KpiChart({ title, unit, kind, data, interval, summary }: KpiChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const [showTable, setShowTable] = useState(false);

  const plot = useRef<uPlot | null>(null);
  const latest = useRef(data);
  latest.current = data;
  // A new plot only when what is drawn changes (unit, kind, series); new figures just replace the data,
  // so the refresh every 30 s keeps the cursor and the legend where they are.
  const shape = `${unit}|${kind}|${data.series.map((series) => `${series.key}:${series.label}`).join(",")}`;

  useEffect(() => {
    const element = box.current;
    if (!element) return;
    const current = latest.current;
    const created = new uPlot(options(current, unit, kind, element.clientWidth || 600), aligned(current), element);
    plot.current = created;
    const resize = new ResizeObserver(() => created.setSize({ width: element.clientWidth, height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      created.destroy();
      plot.current = null;
    };
    // `shape` names everything of `data` the options depend on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [shape]);

  useEffect(() => {
    plot.current?.setData(aligned(data));
  }, [data]);

  return (
    <figure className="chart">
      <figcaption className="chart-title">{title}</figcaption>
      <div ref={box} className="chart-canvas" role="img" aria-label={`${title}: ${summary}`} />
      <details className="chart-data" onToggle={(event) => setShowTable(event.currentTarget.open)}>
        <summary>Data table</summary>
        {showTable && rowsWithData(data).length === 0 && <p className="muted small">No intervals with calls.</p>}
        {showTable && rowsWithData(data).length > 0 && (
          <div className="table-scroll chart-table">
            <table className="table">
              <caption className="visually-hidden">{title} per interval (UTC)</caption>
              <thead>
                <tr>
                  <th scope="col">Interval (UTC)</th>
                  {data.series.map((series) => (
                    <th scope="col" key={series.key}>
                      {series.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rowsWithData(data).map((row) => (
                  <tr key={data.x[row]}>
                    <th scope="row">{formatBucket(data.x[row], interval)}</th>
                    {data.series.map((series) => (
                      <td key={series.key} className="numeric">
                        {formatValue(unit, series.values[row])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </details>
    </figure>
  );
}
