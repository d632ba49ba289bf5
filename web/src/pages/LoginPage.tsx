import { useEffect, useState, type FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router-dom";
import { ApiError } from "../lib/api";
import { homeFor, useAuth } from "../lib/auth";
import { useDocumentTitle } from "../lib/useDocumentTitle";

/** Only same-site paths: `?next=https://evil.example` must not become an open redirect. */
export function safeNext(next: string | null): string | null {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : null;
}

/** Seconds left of a lockout, ticking down; 0 when the form may be used. */
function useLockout(): [number, (seconds: number) => void] {
  const [until, setUntil] = useState(0);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (until <= now) return;
    const handle = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(handle);
  }, [until, now]);
  const left = Math.max(0, Math.ceil((until - now) / 1000));
  return [
    left,
    (seconds) => {
      setNow(Date.now());
      setUntil(Date.now() + seconds * 1000);
    },
  ];
}

export function LoginPage() {
  const { user, loading, login } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [lockedFor, lockOut] = useLockout();
  useDocumentTitle("Log in");

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const loggedIn = await login(username.trim(), password);
      navigate(next ?? homeFor(loggedIn), { replace: true });
    } catch (caught) {
      setBusy(false);
      if (caught instanceof ApiError && caught.status === 429) {
        const seconds = caught.retryAfter ?? 60;
        lockOut(seconds);
        setError(`Too many failed attempts: login is locked for ${seconds} seconds.`);
      } else if (caught instanceof ApiError && caught.status === 401) {
        setError("Wrong username or password.");
        setPassword("");
      } else {
        setError(caught instanceof Error ? caught.message : "Login failed.");
      }
    }
  }

  // Already logged in (e.g. the back button): straight to the console.
  if (!loading && user && !busy) return <Navigate to={next ?? homeFor(user)} replace />;

  return (
    <main className="auth-page">
      <form className="card auth-card" onSubmit={submit} aria-labelledby="login-title">
        <p className="brand">Earshot</p>
        <h1 id="login-title">Staff login</h1>
        {next && !error && (
          <p className="muted" role="status">
            Log in to continue.
          </p>
        )}
        <label htmlFor="username">Username</label>
        <input id="username" autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required autoFocus />
        <label htmlFor="password">Password</label>
        <input id="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="button button-primary button-large" disabled={busy || lockedFor > 0}>
          {busy ? "Logging in…" : lockedFor > 0 ? `Locked for ${lockedFor} s` : "Log in"}
        </button>
        <p className="muted small">
          Calling for help? <a href="/call">Start a call</a> — no login needed.
        </p>
      </form>
    </main>
  );
}
