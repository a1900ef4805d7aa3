import { useEffect, useState } from "preact/hooks";
import { api, errorText, type ChunkView } from "../api";
import { locate } from "../chat";
import { useT } from "../store";

/// Whether a passage comes from a PDF page the app can draw.
export function hasPage(c: ChunkView): boolean {
  return c.page !== null && c.path.toLowerCase().endsWith(".pdf");
}

/// The source of a citation: the PDF page as drawn (when it is one), and the
/// passage's text, which is what the answer was given. A quote opens on the
/// text with its sentence highlighted.
export function SourceViewer({
  source,
  chunkId,
  highlight,
  onClose,
}: {
  source: ChunkView;
  chunkId: number;
  highlight?: string;
  onClose: () => void;
}) {
  const at = highlight ? locate(source.text, highlight) : null;
  const first = (): "page" | "text" => (at === null && hasPage(source) ? "page" : "text");
  const t = useT();
  const [image, setImage] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [tab, setTab] = useState<"page" | "text">(first());
  useEffect(() => {
    setImage(null);
    setNote(null);
    setTab(first());
    if (!hasPage(source)) return;
    let live = true;
    api
      .docsPage(chunkId)
      .then((url) => live && setImage(url))
      .catch((e) => {
        if (!live) return;
        setNote(errorText(e));
        setTab("text");
      });
    return () => {
      live = false;
    };
  }, [chunkId, highlight]);
  useEffect(() => document.getElementById("viewer-mark")?.scrollIntoView?.({ block: "center" }), [tab, at?.[0]]);
  return (
    <div class="viewer" role="dialog" id="viewer">
      <header>
        <strong>{source.citation}</strong>
        <span class="tabs">
          {hasPage(source) && (
            <button id="viewer-page" class={tab === "page" ? "active" : ""} onClick={() => setTab("page")}>
              {t("viewer.page")} {source.page}
            </button>
          )}
          <button id="viewer-text" class={tab === "text" ? "active" : ""} onClick={() => setTab("text")}>
            {t("viewer.text")}
          </button>
          <button onClick={onClose}>{t("viewer.close")}</button>
        </span>
      </header>
      {note && <p class="note">{note}</p>}
      {tab === "page" ? (
        image ? (
          <img id="viewer-image" src={image} alt={source.citation} />
        ) : (
          <p class="note">{t("viewer.drawing")}</p>
        )
      ) : (
        <pre>
          {at ? (
            <>
              {source.text.slice(0, at[0])}
              <mark id="viewer-mark">{source.text.slice(at[0], at[1])}</mark>
              {source.text.slice(at[1])}
            </>
          ) : (
            source.text
          )}
        </pre>
      )}
      <small>{source.path}</small>
    </div>
  );
}
