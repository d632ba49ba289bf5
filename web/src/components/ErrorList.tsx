import type { Notice } from "../state/notices";

interface ErrorListProps {
  notices: Notice[];
  onDismiss: (key: string) => void;
}

/** Problems the server reported, worded for people; repeats show once with a count, and each can be dismissed. */
export function ErrorList({ notices, onDismiss }: ErrorListProps) {
  if (notices.length === 0) return null;
  return (
    <ul className="error-list" role="alert">
      {notices.map((notice) => (
        <li key={notice.key} data-code={notice.code}>
          <span>
            {notice.text}
            {notice.count > 1 && <span className="error-count"> (×{notice.count})</span>}
          </span>
          <span className="error-meta">
            <code className="error-code" title="Error code">
              {notice.code}
            </code>
            <button className="link-button" onClick={() => onDismiss(notice.key)} aria-label="Dismiss">
              ×
            </button>
          </span>
        </li>
      ))}
    </ul>
  );
}
