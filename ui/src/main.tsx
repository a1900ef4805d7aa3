import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "./api";
import { initialLang } from "./i18n";
import { lang, status, useStore, useT } from "./store";
import { AskView } from "./views/Ask";
import { CalcView } from "./views/Calc";
import { DocsView } from "./views/Docs";
import { PlcView } from "./views/Plc";
import { SettingsView } from "./views/Settings";
import "./style.css";

type Page = "ask" | "docs" | "plc" | "calc" | "settings";
const PAGES: Page[] = ["ask", "docs", "plc", "calc", "settings"];

/// Ctrl+1 … Ctrl+5 (⌘ on macOS) switch between the views.
export function pageForKey(e: { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean }): Page | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey) return null;
  const n = Number(e.key);
  return Number.isInteger(n) && n >= 1 && n <= PAGES.length ? PAGES[n - 1] : null;
}

export function App() {
  const t = useT();
  const [page, setPage] = useState<Page>("ask");
  const [error, setError] = useState<string | null>(null);
  const st = useStore(status);
  useEffect(() => {
    api
      .appInfo()
      .then((info) => {
        lang.set(initialLang(info.settings.language, navigator.language));
        status.update((s) => ({ ...s, model: info.model?.name ?? info.model_error ?? "" }));
        document.documentElement.dataset.ready = String(info.uptime_ms);
      })
      .catch((e) => setError(errorText(e)));
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang.get() === "zh" ? "zh-CN" : "en";
  });
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = pageForKey(e);
      if (target) {
        e.preventDefault();
        setPage(target);
      } else if (e.key === "Escape" && status.get().busy) {
        // Stops the answer or generation being written.
        api.cancel();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  const pages: [Page, string][] = [
    ["ask", t("nav.ask")],
    ["docs", t("nav.docs")],
    ["plc", t("nav.plc")],
    ["calc", t("nav.calc")],
    ["settings", t("nav.settings")],
  ];
  return (
    <div class="app">
      <nav class="nav" role="tablist">
        <div class="brand">Millwright</div>
        {pages.map(([p, label]) => (
          <button
            id={`nav-${p}`}
            role="tab"
            aria-selected={page === p}
            class={page === p ? "active" : ""}
            onClick={() => setPage(p)}
            title={`Ctrl+${PAGES.indexOf(p) + 1}`}
          >
            {label}
          </button>
        ))}
      </nav>
      <main class="main">
        {error && (
          <div class="error" role="alert">
            {t("error.prefix")}: {error}
          </div>
        )}
        <div hidden={page !== "ask"}>
          <AskView />
        </div>
        <div hidden={page !== "docs"}>
          <DocsView />
        </div>
        <div hidden={page !== "plc"}>
          <PlcView />
        </div>
        <div hidden={page !== "calc"}>
          <CalcView />
        </div>
        <div hidden={page !== "settings"}>
          <SettingsView />
        </div>
      </main>
      <footer class="statusbar" id="statusbar">
        <span>{st.model || t("settings.no_model")}</span>
        {st.busy && <span class="spinner" aria-hidden="true" />}
        {st.tokensPerS !== null && (
          <span id="speed">
            {st.tokensPerS.toFixed(1)} {t("status.tokens_per_s")}
          </span>
        )}
      </footer>
    </div>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
