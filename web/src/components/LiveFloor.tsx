import { MetricCard } from "@earshot/ui";
import { useEffect, useState } from "react";
import { Link } from "react-router-dom";
import type { Floor } from "../lib/protocol";
import { formatCount, formatScore, formatSeconds } from "../state/dashboard";
import { FLOOR_STATE, secondsSince, sortFloorAgents } from "../state/floor";
import { InfoTip } from "./InfoTip";
import { StatusPill } from "./StatusPill";
import { formatDuration } from "./Timer";

const QUEUE_HELP = {
  waiting: "Callers queued or ringing an agent now.",
  longest: "How long the caller who has waited longest has been waiting.",
  expected:
    "For a caller joining now: the callers ahead beyond the free agents, times today's average handle time, divided by the busy agents. Blank when no agent is staffed or no handle time is known yet.",
  abandoned: "Calls that ended unanswered (the caller hung up or dropped) in the last 60 minutes.",
};

/** A clock for the waits and times in state: the snapshot says since when, the page counts up. */
function useNow(): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const handle = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(handle);
  }, []);
  return now;
}

/** The floor now, as the supervisor socket pushes it: the queue and every agent's state. */
export function LiveFloor({ floor }: { floor: Floor | null }) {
  const now = useNow();
  if (!floor) return <p className="muted">Connecting to the floor…</p>;
  const queue = floor.queue;
  const longest = secondsSince(queue.longest_waiting_since, now);
  const agents = sortFloorAgents(floor.agents);
  return (
    <>
      <dl className="kpi-grid floor-queue" aria-label="Queue">
        <MetricCard id="waiting" label="Callers waiting" value={formatCount(queue.waiting)} info={<InfoTip subject="Callers waiting" text={QUEUE_HELP.waiting} />} />
        <MetricCard id="longest_wait" label="Longest wait" value={longest === null ? "—" : formatSeconds(longest)} info={<InfoTip subject="Longest wait" text={QUEUE_HELP.longest} />} />
        <MetricCard id="expected_wait" label="Expected wait" value={formatSeconds(queue.expected_wait_s)} info={<InfoTip subject="Expected wait" text={QUEUE_HELP.expected} />} />
        <MetricCard id="abandoned_last_hour" label="Abandoned, last hour" value={formatCount(queue.abandoned_last_hour)} info={<InfoTip subject="Abandoned, last hour" text={QUEUE_HELP.abandoned} />} />
      </dl>
      <div className="table-scroll">
        <table className="table floor-board" aria-label="Agents now">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">State</th>
              <th scope="col">For</th>
              <th scope="col">Customer</th>
              <th scope="col">Sentiment</th>
              <th scope="col"><span className="visually-hidden">Watch</span></th>
            </tr>
          </thead>
          <tbody>
            {agents.map((agent) => {
              const state = FLOOR_STATE[agent.state];
              const since = secondsSince(agent.state_since, now);
              return (
                <tr key={agent.agent_id} data-agent-state={agent.state}>
                  <th scope="row">{agent.agent_name}</th>
                  <td>
                    <StatusPill tone={state.tone} dot={agent.state !== "offline"}>
                      {state.label}
                    </StatusPill>
                  </td>
                  <td className="numeric">{since === null ? "—" : formatDuration(since * 1000)}</td>
                  <td>{agent.customer_name ?? "—"}</td>
                  <td className={`numeric sentiment-${agent.sentiment_label ?? "none"}`}>
                    {agent.sentiment === null ? "—" : `${formatScore(agent.sentiment)} ${agent.sentiment_label ?? ""}`}
                  </td>
                  <td>
                    {agent.call_id && agent.state !== "offered" && (
                      <Link className="button button-small" to={`/supervisor?watch=${agent.call_id}`} aria-label={`Watch ${agent.agent_name}'s call`}>
                        Watch
                      </Link>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}
