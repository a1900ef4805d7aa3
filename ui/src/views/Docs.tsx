import { useEffect, useState } from "preact/hooks";
import { open } from "@tauri-apps/plugin-dialog";
import { api, errorText, type DocView, type HitView, type KbStatus, type Progress } from "../api";
import { formatEta } from "../chat";
import { useT } from "../store";

export function DocsView() {
  const t = useT();
  const [docs, setDocs] = useState<DocView[]>([]);
  const [collection, setCollection] = useState("default");
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<HitView[]>([]);
  const [readers, setReaders] = useState<KbStatus["readers"] | null>(null);
  const [consistent, setConsistent] = useState(true);

  const refresh = () => api.docsList().then(setDocs).catch((e) => setError(errorText(e)));
  useEffect(() => {
    refresh();
    api
      .docsStatus()
      .then((s) => {
        setReaders(s.readers);
        setConsistent(s.consistent);
      })
      .catch(() => {});
  }, []);

  async function add(directory: boolean) {
    const picked = await open({ directory, multiple: true });
    if (!picked) return;
    await addPaths(Array.isArray(picked) ? picked : [picked]);
  }

  async function addPaths(paths: string[]) {
    setError(null);
    try {
      await api.docsAdd(paths, collection, setProgress);
    } catch (e) {
      setError(errorText(e));
    }
    refresh();
  }
  // End-to-end tests add a fixture folder without a native dialog.
  (window as any).__millwrightAddPaths = addPaths;

  const failed = docs.filter((d) => d.status === "failed");
  return (
    <div class="docs">
      <div class="toolbar">
        <label>
          {t("docs.collection")}{" "}
          <input value={collection} onInput={(e) => setCollection((e.target as HTMLInputElement).value)} />
        </label>
        <button id="add-folder" onClick={() => add(true)}>
          {t("docs.add_folder")}
        </button>
        <button onClick={() => add(false)}>{t("docs.add_files")}</button>
      </div>
      {!consistent && (
        <p class="note" id="kb-inconsistent">
          {t("docs.inconsistent")}{" "}
          <button
            id="docs-reindex"
            onClick={() =>
              api
                .docsReindex()
                .then(() => setConsistent(true))
                .catch((e) => setError(errorText(e)))
            }
          >
            {t("docs.reindex")}
          </button>
        </p>
      )}
      {readers && !readers.poppler && (
        <p class="note" id="no-poppler">
          {t("docs.no_poppler")}
        </p>
      )}
      {readers && !readers.tesseract && (
        <p class="note" id="no-tesseract">
          {t("docs.no_tesseract")}
        </p>
      )}
      {progress && (
        <div class="progress" id="progress">
          <progress max={progress.files_total || 1} value={progress.files_done} />
          <span>
            {progress.phase === "done" ? t("docs.done") : t("docs.indexing")} {progress.files_done}/
            {progress.files_total} {t("docs.files")} · {progress.pages} {t("docs.pages")} ·{" "}
            {(progress.rate_bytes_s / 1e6).toFixed(1)} MB/s · {t("docs.eta")} {formatEta(progress.eta_s)}
            {progress.failed > 0 && ` · ${t("docs.failed")}: ${progress.failed}`}
            {progress.ocr_page && (
              <span id="ocr-progress">
                {" · "}
                {t("docs.ocr_page")} {progress.ocr_page[0]}/{progress.ocr_page[1]}
              </span>
            )}
          </span>
        </div>
      )}
      {error && (
        <div class="error" role="alert">
          {error}
        </div>
      )}
      <form
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          if (query.trim()) api.docsSearch(query).then(setHits).catch((e) => setError(errorText(e)));
        }}
      >
        <input id="doc-search" value={query} placeholder={t("docs.search")} onInput={(e) => setQuery((e.target as HTMLInputElement).value)} />
      </form>
      {hits.length > 0 && (
        <ol class="hits">
          {hits.map((h) => (
            <li>
              <strong>{h.citation}</strong>
              <p>{h.snippet}</p>
            </li>
          ))}
        </ol>
      )}
      {docs.length === 0 ? (
        <p class="hint">{t("docs.none")}</p>
      ) : (
        <table class="doclist" id="doclist">
          <thead>
            <tr>
              <th>{t("docs.collection")}</th>
              <th>Path</th>
              <th>{t("docs.status")}</th>
              <th>{t("docs.pages")}</th>
              <th>{t("docs.chunks")}</th>
            </tr>
          </thead>
          <tbody>
            {docs.map((d) => (
              <tr class={d.status}>
                <td>{d.collection}</td>
                <td title={d.path}>{d.path.split("/").pop()}</td>
                <td>{d.status}</td>
                <td>{d.pages ?? ""}</td>
                <td>{d.chunks}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {failed.length > 0 && (
        <section class="failed" id="failed">
          <h3>{t("docs.failed")}</h3>
          <ul>
            {failed.map((d) => (
              <li>
                <strong>{d.path}</strong>: {d.error}
              </li>
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}
