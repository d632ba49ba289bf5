import { useState } from "react";
import { api, detailText, type AvailableAgent } from "../lib/api";
import type { ClientMessage } from "../lib/protocol";

interface TransferControlProps {
  callId: string;
  send: (message: ClientMessage) => void;
  disabled?: boolean;
}

/** Hand the call to an available agent (listed when opened) or back to the queue. */
export function TransferControl({ callId, send, disabled = false }: TransferControlProps) {
  const [open, setOpen] = useState(false);
  const [agents, setAgents] = useState<AvailableAgent[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const load = () => {
    setAgents(null);
    setProblem(null);
    api.availableAgents().then(setAgents, (error: unknown) => setProblem(detailText(error)));
  };
  const toggle = () => {
    if (!open) load();
    setOpen(!open);
  };
  const transfer = (target: { to: "queue" } | { to_agent: number }) => {
    send({ type: "transfer_call", call_id: callId, ...target });
    setOpen(false);
  };

  return (
    <div className="transfer-control">
      <button type="button" className="button" aria-expanded={open} disabled={disabled} onClick={toggle}>
        Transfer
      </button>
      {open && (
        <div className="card transfer-menu" role="group" aria-label="Transfer the call">
          {problem ? (
            <p className="warn-text">Could not list the available agents: {problem}</p>
          ) : agents === null ? (
            <p className="muted">Looking for available agents…</p>
          ) : agents.length === 0 ? (
            <p className="muted">No other agent is available right now.</p>
          ) : (
            <ul className="transfer-agents" aria-label="Available agents">
              {agents.map((agent) => (
                <li key={agent.agent_id}>
                  <button type="button" className="button" onClick={() => transfer({ to_agent: agent.agent_id })}>
                    Transfer to {agent.name}
                  </button>
                </li>
              ))}
            </ul>
          )}
          <div className="transfer-actions">
            <button type="button" className="button" onClick={() => transfer({ to: "queue" })}>
              Back to queue
            </button>
            <button type="button" className="link-button" onClick={load}>
              Refresh
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
