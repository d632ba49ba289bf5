import type { ConnectionStatus } from "../lib/ws";

interface ConnectionNoticeProps {
  status: ConnectionStatus;
}

/** A prominent explanation when the live connection is down for good or the browser is offline. */
export function ConnectionNotice({ status }: ConnectionNoticeProps) {
  if (status.state === "offline") {
    return (
      <div className="notice notice-error" role="alert">
        <strong>You are offline.</strong> Nothing can be sent until the network is back; we reconnect automatically.
      </div>
    );
  }
  if (status.state !== "closed") return null;
  return (
    <div className="notice notice-error" role="alert">
      <strong>Disconnected.</strong> {status.reason}{" "}
      {status.code === 4409 && (
        <button type="button" className="link-button" onClick={() => window.location.reload()}>
          Use this window instead
        </button>
      )}
    </div>
  );
}
