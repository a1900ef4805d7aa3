// Conversation logic without the DOM: building messages from answer events,
// titles, Markdown export. Kept apart so unit tests cover it.
import type { AskEvent, Chat, ChatMessage, Citation, HitView } from "./api";

export function newChat(now: number): Chat {
  return { id: `chat-${now.toString(36)}`, title: "", updated: now, messages: [] };
}

export function titleOf(question: string): string {
  const t = question.trim().replace(/\s+/g, " ");
  return [...t].length > 60 ? [...t].slice(0, 59).join("") + "…" : t;
}

/// Folds one streamed event into the assistant's message being written.
export function applyEvent(msg: ChatMessage, e: AskEvent): ChatMessage {
  switch (e.kind) {
    case "retrieved":
      return { ...msg, citations: e.citations.map(hitToCitation) };
    case "token":
      return { ...msg, text: msg.text + e.text };
    default:
      return msg;
  }
}

export function hitToCitation(h: HitView, i: number): Citation & { chunk_id: number } {
  return {
    n: i + 1,
    path: h.path,
    page: h.page,
    citation: h.citation,
    snippet: h.snippet,
    cited: false,
    chunk_id: h.chunk_id,
  };
}

/// Marks the citations the final answer refers to as `[n]`.
export function markCited(msg: ChatMessage): ChatMessage {
  const used = new Set([...msg.text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
  return { ...msg, citations: (msg.citations ?? []).map((c) => ({ ...c, cited: used.has(c.n) })) };
}

export function toMarkdown(chat: Chat): string {
  const out = [`# ${chat.title || "Chat"}`, ""];
  for (const m of chat.messages) {
    out.push(m.role === "user" ? `**Q:** ${m.text}` : m.text, "");
    const cited = (m.citations ?? []).filter((c) => c.cited);
    for (const c of cited) out.push(`[${c.n}] ${c.citation} — ${c.path}`);
    if (cited.length) out.push("");
  }
  return out.join("\n");
}

export function formatEta(s: number | null): string {
  if (s === null || !isFinite(s)) return "–";
  if (s < 60) return `${Math.ceil(s)} s`;
  return `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`;
}
