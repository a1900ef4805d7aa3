// Conversation logic without the DOM: building messages from answer events,
// titles, Markdown export. Kept apart so unit tests cover it.
import type { AskEvent, Calculation, Chat, ChatMessage, Citation, HitView } from "./api";

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
    case "tool":
      return { ...msg, tool: e.tool };
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

/// A sentence of the documents the answer quotes, and the passage it is from.
export interface QuoteLine {
  text: string;
  n: number | null;
}

/// An answer's opening quotes (`> sentence [n]` lines) apart from the rest.
export function splitQuotes(text: string): { quotes: QuoteLine[]; rest: string } {
  const lines = text.split("\n");
  const quotes: QuoteLine[] = [];
  let i = 0;
  for (; i < lines.length && lines[i].startsWith("> "); i++) {
    const line = lines[i].slice(2);
    const m = line.match(/^(.*?)\s*\[(\d+)\]$/);
    quotes.push(m ? { text: m[1], n: Number(m[2]) } : { text: line, n: null });
  }
  return { quotes, rest: lines.slice(i).join("\n").trimStart() };
}

/// Where `sentence` (whitespace made single spaces) lies in `text`, as
/// [start, end) in `text`'s UTF-16 offsets; null when it is not there.
export function locate(text: string, sentence: string): [number, number] | null {
  // A numbered title shown before the quote, `(LINEAR_INT) `, is not in the passage.
  const words = sentence.replace(/^\([^)]*\)\s+/, "").trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return null;
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const m = new RegExp(escaped.join("\\s+")).exec(text);
  return m ? [m.index, m.index + m[0].length] : null;
}

/// Marks the citations the final answer refers to as `[n]`.
export function markCited(msg: ChatMessage): ChatMessage {
  const used = new Set([...msg.text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])));
  return { ...msg, citations: (msg.citations ?? []).map((c) => ({ ...c, cited: used.has(c.n) })) };
}

/// Six significant digits, as the command line prints results.
export function formatValue(v: number): string {
  if (v === 0 || !isFinite(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

/// `torque = 98.1092 N·m, …`
export function resultsOf(c: Calculation): string {
  return c.outputs.map((o) => `${o.name} = ${formatValue(o.value)} ${o.unit}`.trim()).join(", ");
}

export function toMarkdown(chat: Chat): string {
  const out = [`# ${chat.title || "Chat"}`, ""];
  for (const m of chat.messages) {
    out.push(m.role === "user" ? `**Q:** ${m.text}` : m.text, "");
    const r = m.tool?.result;
    if (r) {
      out.push(`> **${r.title}** (\`${r.tool}\`)`, ">");
      out.push(`> - inputs: ${r.inputs.map(([k, v]) => `${k} = ${v}`).join(", ")}`);
      out.push(`> - formula: ${r.formula}`, `> - source: ${r.source}`, `> - result: ${resultsOf(r)}`);
      for (const n of r.notes) out.push(`> - note: ${n}`);
      out.push("");
    }
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

/// Collects streamed text and hands it on at most every `ms` milliseconds, so
/// the UI re-renders a few times a second instead of once per token (a
/// software-rendered webview shares the cores with the model).
export class TextBatcher {
  private pending = "";
  private timer: ReturnType<typeof setTimeout> | null = null;
  constructor(
    private flushTo: (text: string) => void,
    private ms = 80,
  ) {}
  push(text: string) {
    this.pending += text;
    if (this.timer === null) this.timer = setTimeout(() => this.flush(), this.ms);
  }
  /// Hands on whatever is pending now (call before the final update).
  flush() {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending) {
      const t = this.pending;
      this.pending = "";
      this.flushTo(t);
    }
  }
}
