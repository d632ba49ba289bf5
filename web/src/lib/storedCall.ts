// The customer's call survives a page reload: its id and token live in sessionStorage (this tab only).

export interface StoredCall {
  callId: string;
  token: string;
}

const STORAGE_KEY = "earshot.call";

export function loadStoredCall(): StoredCall | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? "null");
    return typeof value?.callId === "string" && typeof value?.token === "string" ? value : null;
  } catch {
    return null;
  }
}

export function saveStoredCall(call: StoredCall): void {
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(call));
}

export function clearStoredCall(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
