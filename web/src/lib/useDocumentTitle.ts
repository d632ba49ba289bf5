// The browser tab says where you are (and, for agents, that a call is ringing while the tab is hidden).
import { useEffect } from "react";

export function useDocumentTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Earshot` : "Earshot";
  }, [title]);
}
