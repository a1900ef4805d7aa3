import { useEffect, useRef, useState } from "preact/hooks";
import { save } from "@tauri-apps/plugin-dialog";
import { api, errorText, type Chat, type ChatMessage, type ChunkView, type ToolUse } from "../api";
import { applyEvent, markCited, newChat, resultsOf, splitQuotes, TextBatcher, titleOf, toMarkdown, type QuoteLine } from "../chat";
import { status, useT } from "../store";
import { SourceViewer } from "./SourceViewer";

export function AskView() {
  const t = useT();
  const [chat, setChat] = useState<Chat>(() => newChat(Date.now()));
  const [chats, setChats] = useState<{ id: string; title: string }[]>([]);
  const [question, setQuestion] = useState("");
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [viewer, setViewer] = useState<{ source: ChunkView; chunkId: number; highlight?: string } | null>(null);
  const endRef = useRef<HTMLDivElement>(null);

  const refreshChats = () => api.chatsList().then(setChats).catch(() => {});
  useEffect(() => {
    refreshChats();
  }, []);
  useEffect(() => endRef.current?.scrollIntoView?.({ block: "end" }), [chat]);

  async function ask() {
    const q = question.trim();
    if (!q || busy) return;
    setQuestion("");
    setBusy(true);
    setNote(null);
    status.update((s) => ({ ...s, busy: true }));
    let current: Chat = {
      ...chat,
      title: chat.title || titleOf(q),
      messages: [...chat.messages, { role: "user", text: q }, { role: "assistant", text: "" }],
    };
    setChat(current);
    const replace = (f: (m: ChatMessage) => ChatMessage) => {
      const msgs = current.messages.slice();
      msgs[msgs.length - 1] = f(msgs[msgs.length - 1]);
      current = { ...current, messages: msgs };
      setChat(current);
    };
    try {
      // Speed while generating, from the first piece on (model loading excluded).
      let first = 0;
      let pieces = 0;
      const text = new TextBatcher((t) => replace((m) => applyEvent(m, { kind: "token", text: t })));
      const answer = await api.ask(q, (e) => {
        if (e.kind === "loading_model") setNote(t("ask.loading_model"));
        if (e.kind === "token") {
          setNote(null);
          const now = performance.now();
          if (pieces === 0) first = now;
          pieces += 1;
          if (pieces > 1 && pieces % 4 === 0)
            status.update((s) => ({ ...s, tokensPerS: (pieces - 1) / ((now - first) / 1000) }));
        }
        if (e.kind === "done") status.update((s) => ({ ...s, tokensPerS: e.tokens_per_s || s.tokensPerS }));
        if (e.kind === "token") text.push(e.text);
        else {
          text.flush();
          replace((m) => applyEvent(m, e));
        }
      });
      text.flush();
      // The final text has its citations checked: markers that match no passage are gone.
      replace((m) => markCited({ ...m, text: answer.answer }));
    } catch (e) {
      replace((m) => ({ ...m, text: `${m.text}\n\n${t("error.prefix")}: ${errorText(e)}` }));
    } finally {
      setBusy(false);
      setNote(null);
      status.update((s) => ({ ...s, busy: false }));
      current = { ...current, updated: Date.now() };
      api.chatSave(current).then(refreshChats).catch(() => {});
    }
  }

  /// Opens the passage a citation or a quote is from; a quote's sentence is highlighted.
  function openSource(c: any, highlight?: string) {
    api
      .docsChunk(c.chunk_id)
      .then((source) => setViewer({ source, chunkId: c.chunk_id, highlight }))
      .catch((e) => setNote(errorText(e)));
  }

  function quoteOf(m: ChatMessage, q: QuoteLine) {
    const c = (m.citations ?? []).find((c: any) => c.n === q.n);
    return (
      <blockquote class="quote" title={t("ask.quote_help")}>
        <span class="quote-text">{q.text}</span>{" "}
        {c ? (
          <button class="link quote-source" onClick={() => openSource(c, q.text)}>
            [{c.n}] {c.citation}
          </button>
        ) : (
          q.n !== null && <span>[{q.n}]</span>
        )}
      </blockquote>
    );
  }

  async function exportMd() {
    const path = await save({ filters: [{ name: "Markdown", extensions: ["md"] }] });
    if (path) await api.saveText(path, toMarkdown(chat)).catch((e) => setNote(errorText(e)));
  }

  return (
    <div class="ask">
      <aside class="chats">
        <button id="new-chat" onClick={() => setChat(newChat(Date.now()))}>
          {t("ask.new")}
        </button>
        <h3>{t("ask.chats")}</h3>
        <ul>
          {chats.map((c) => (
            <li>
              <button class="link" onClick={() => api.chatLoad(c.id).then(setChat)}>
                {c.title || c.id}
              </button>
            </li>
          ))}
        </ul>
      </aside>
      <section class="conversation">
        <div class="messages" id="messages">
          {chat.messages.length === 0 && <p class="hint">{t("ask.empty")}</p>}
          {chat.messages.map((m) => {
            // An answer opens with the documents' own sentences, shown as quotes.
            const { quotes, rest } = m.role === "assistant" ? splitQuotes(m.text) : { quotes: [], rest: m.text };
            return (
            <div class={`msg ${m.role}`}>
              {quotes.length > 0 && <div class="quotes">{quotes.map((q) => quoteOf(m, q))}</div>}
              <div class="text">{rest}</div>
              {m.tool && <ToolCard use={m.tool} />}
              {m.role === "assistant" && (m.citations ?? []).length > 0 && (
                <div class="chips" aria-label={t("ask.sources")}>
                  {(m.citations ?? []).map((c: any) => (
                    <button
                      class={`chip ${c.cited ? "cited" : ""}`}
                      title={c.snippet}
                      onClick={() => openSource(c)}
                    >
                      [{c.n}] {c.citation}
                    </button>
                  ))}
                </div>
              )}
            </div>
            );
          })}
          <div ref={endRef} />
        </div>
        {note && <div class="note">{note}</div>}
        <form
          class="composer"
          onSubmit={(e) => {
            e.preventDefault();
            ask();
          }}
        >
          <textarea
            id="question"
            value={question}
            placeholder={t("ask.placeholder")}
            onInput={(e) => setQuestion((e.target as HTMLTextAreaElement).value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                ask();
              }
            }}
          />
          {busy ? (
            <button type="button" id="stop" onClick={() => api.cancel()}>
              {t("ask.stop")}
            </button>
          ) : (
            <button type="submit" id="ask-send">
              {t("ask.send")}
            </button>
          )}
          <button type="button" onClick={exportMd} disabled={chat.messages.length === 0}>
            {t("ask.export")}
          </button>
        </form>
      </section>
      {viewer && (
        <SourceViewer source={viewer.source} chunkId={viewer.chunkId} highlight={viewer.highlight} onClose={() => setViewer(null)} />
      )}
    </div>
  );
}

/// A calculation in the conversation: the result at a glance, the call's
/// inputs, formula and source when opened.
export function ToolCard({ use, open = false }: { use: ToolUse; open?: boolean }) {
  const t = useT();
  const r = use.result;
  return (
    <details class={`tool-card ${r ? "" : "refused"}`} open={open}>
      <summary>
        <span class="tool-name">{use.call.tool}</span>{" "}
        {r ? `${r.title}: ${resultsOf(r)}` : t("tool.refused")}
      </summary>
      {r ? (
        <dl>
          <dt>{t("tool.inputs")}</dt>
          <dd>{r.inputs.map(([k, v]) => `${k} = ${v}`).join(", ")}</dd>
          <dt>{t("tool.formula")}</dt>
          <dd class="formula">{r.formula}</dd>
          <dt>{t("tool.source")}</dt>
          <dd>{r.source}</dd>
          <dt>{t("tool.result")}</dt>
          <dd class="result">{resultsOf(r)}</dd>
          {r.notes.length > 0 && (
            <>
              <dt>{t("tool.notes")}</dt>
              <dd>{r.notes.join(" ")}</dd>
            </>
          )}
        </dl>
      ) : (
        <dl>
          <dt>{t("tool.inputs")}</dt>
          <dd>{Object.entries(use.call.args).map(([k, v]) => `${k} = ${v}`).join(", ")}</dd>
          <dt>{t("tool.refused")}</dt>
          <dd>{use.error}</dd>
        </dl>
      )}
    </details>
  );
}
