/** Errors the server reported for something this user sent; each can be dismissed. */
export function ErrorList({ errors, onDismiss }: { errors: string[]; onDismiss: (index: number) => void }) {
  if (errors.length === 0) return null;
  return (
    <ul className="error-list" role="alert">
      {errors.map((error, index) => (
        <li key={`${index}-${error}`}>
          {error}
          <button className="link-button" onClick={() => onDismiss(index)} aria-label="Dismiss">
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
