import { useEffect, useState } from "preact/hooks";
import { open } from "@tauri-apps/plugin-dialog";
import { api, errorText, type AppInfo, type DownloadEvent, type Settings } from "../api";
import type { Key } from "../i18n";
import { lang, status, useT } from "../store";

function num(v: string): number | null {
  const n = Number(v);
  return v.trim() === "" || !Number.isFinite(n) ? null : Math.round(n);
}

export function SettingsView() {
  const t = useT();
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [s, setS] = useState<Settings>({});
  const [msg, setMsg] = useState<string | null>(null);
  // "Saved" is shown in the language just saved, so keep the flag, not the text.
  const [saved, setSaved] = useState(false);

  const load = () =>
    api
      .appInfo()
      .then((i) => {
        setInfo(i);
        setS(i.settings);
      })
      .catch((e) => setMsg(errorText(e)));
  useEffect(() => {
    load();
  }, []);

  async function saveSettings(next: Settings) {
    setMsg(null);
    setSaved(false);
    try {
      const saved = await api.settingsSet(next);
      setS(saved);
      if (saved.language === "en" || saved.language === "zh") lang.set(saved.language);
      setSaved(true);
      load().then(() => status.update((st) => ({ ...st, model: info?.model?.name ?? st.model })));
    } catch (e) {
      setMsg(errorText(e));
    }
  }

  const [download, setDownload] = useState<DownloadEvent | "done" | null>(null);
  async function downloadModel() {
    setMsg(null);
    setDownload({ kind: "downloading", package: "", index: 1, count: 1 });
    try {
      await api.modelDownload(setDownload);
      setDownload("done");
      await load();
      const i = await api.appInfo();
      status.update((st) => ({ ...st, model: i.model?.name ?? st.model }));
    } catch (e) {
      setDownload(null);
      setMsg(errorText(e));
    }
  }

  async function chooseModel() {
    const path = await open({ filters: [{ name: "GGUF", extensions: ["gguf"] }] });
    if (typeof path === "string") saveSettings({ ...s, model: path });
  }

  async function addLibrary(directory: boolean) {
    const path = await open(
      directory ? { directory: true } : { filters: [{ name: "Structured Text", extensions: ["st", "exp", "xml", "TcPOU"] }] },
    );
    if (typeof path === "string" && !(s.st_libraries ?? []).includes(path))
      saveSettings({ ...s, st_libraries: [...(s.st_libraries ?? []), path] });
  }

  const libraries = s.st_libraries ?? [];
  const m = info?.model;
  return (
    <div class="settings">
      <section>
        <h3>{t("settings.model")}</h3>
        {m ? (
          <dl id="model-info">
            <dt>{m.name}</dt>
            <dd>
              {m.architecture} · {m.parameters ?? ""} · {(m.file_size / 1e6).toFixed(0)} MB ·{" "}
              {m.is_chat ? t("settings.chat") : t("settings.base")} · ctx {m.context_length ?? "?"}
            </dd>
            <dd class="path">{m.path}</dd>
          </dl>
        ) : (
          <p class="error">{info?.model_error ?? t("settings.no_model")}</p>
        )}
        {info && !info.default_model.present && !s.model && (
          <div class="download" id="download">
            <p>
              {t("download.missing")} {info.default_model.name}, {(info.default_model.size / 1e6).toFixed(0)} MB.
            </p>
            <p class="note">{t("download.ask")}</p>
            {download === null ? (
              <button class="primary" id="download-start" onClick={downloadModel}>
                {t("download.start")}
              </button>
            ) : (
              <p id="download-progress">{downloadText(download, t)}</p>
            )}
          </div>
        )}
        {download === "done" && <p class="note">{t("download.done")}</p>}
        <button onClick={chooseModel}>{t("settings.choose_model")}</button>
        <button onClick={() => saveSettings({ ...s, model: null })}>{t("settings.default_model")}</button>
      </section>
      <section class="grid">
        <label>
          {t("settings.context")}
          <input value={s.context_size ?? ""} onInput={(e) => setS({ ...s, context_size: num((e.target as HTMLInputElement).value) })} />
        </label>
        <label>
          {t("settings.threads")}
          <input value={s.threads ?? ""} onInput={(e) => setS({ ...s, threads: num((e.target as HTMLInputElement).value) })} />
        </label>
        <label>
          {t("settings.gpu_layers")}
          <input value={s.gpu_layers ?? ""} onInput={(e) => setS({ ...s, gpu_layers: num((e.target as HTMLInputElement).value) })} />
        </label>
        <label>
          {t("settings.language")}
          <select
            id="language"
            value={s.language ?? lang.get()}
            onChange={(e) => saveSettings({ ...s, language: (e.target as HTMLSelectElement).value })}
          >
            <option value="en">English</option>
            <option value="zh">简体中文</option>
          </select>
        </label>
        <label>
          <input
            type="checkbox"
            id="ocr"
            checked={s.ocr ?? true}
            onChange={(e) => saveSettings({ ...s, ocr: (e.target as HTMLInputElement).checked })}
          />
          {t("settings.ocr")}
        </label>
        <button id="save-settings" onClick={() => saveSettings(s)}>
          {t("settings.save")}
        </button>
      </section>
      <section id="st-libraries">
        <h3>{t("settings.st_libraries")}</h3>
        <p class="note">{t("settings.st_libraries_note")}</p>
        {libraries.length === 0 ? (
          <p class="note">{t("settings.st_libraries_none")}</p>
        ) : (
          <ul>
            {libraries.map((p) => (
              <li key={p}>
                <code>{p}</code>{" "}
                <button onClick={() => saveSettings({ ...s, st_libraries: libraries.filter((q) => q !== p) })}>
                  {t("settings.remove")}
                </button>
              </li>
            ))}
          </ul>
        )}
        <button id="add-library-folder" onClick={() => addLibrary(true)}>
          {t("settings.add_library_folder")}
        </button>
        <button onClick={() => addLibrary(false)}>{t("settings.add_library_file")}</button>
      </section>
      {(msg || saved) && <p class="note">{msg ?? t("settings.saved")}</p>}
      <section>
        <h3>{t("settings.data_dir")}</h3>
        <code>{info?.data_dir}</code>
      </section>
    </div>
  );
}

/// One line of download progress.
export function downloadText(e: DownloadEvent | "done", t: (k: Key) => string): string {
  if (e === "done") return t("download.done");
  if (e.kind === "downloading") return `${t("download.package")} ${e.index} / ${e.count}…`;
  const pct = e.total > 0 ? Math.floor((100 * e.done) / e.total) : 0;
  return `${t(e.kind === "assembling" ? "download.assembling" : "download.verifying")} ${pct} %`;
}
