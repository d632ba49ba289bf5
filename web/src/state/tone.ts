// The colour families of states across the app (see the .pill-* classes in styles.css).
export type Tone = "ok" | "warn" | "ringing" | "error" | "info" | "muted";
