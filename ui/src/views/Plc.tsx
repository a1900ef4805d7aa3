import { useEffect, useRef, useState } from "preact/hooks";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { syntaxHighlighting, defaultHighlightStyle } from "@codemirror/language";
import { linter, lintGutter, type Diagnostic } from "@codemirror/lint";
import { save } from "@tauri-apps/plugin-dialog";
import { api, errorText, type Located } from "../api";
import { offsetOf, structuredText } from "../st-language";
import { useT } from "../store";

const SAMPLE = `FUNCTION_BLOCK FB_Motor
VAR_INPUT
    start : BOOL;
    stop : BOOL;
END_VAR
VAR_OUTPUT
    running : BOOL;
END_VAR
running := (start OR running) AND NOT stop;
END_FUNCTION_BLOCK
`;

const SAMPLE_VECTORS = `{ "pou": "FB_Motor", "cases": [ { "name": "start latches", "steps": [
  { "in": {"start": true, "stop": false}, "expect": {"running": true} },
  { "in": {"start": false}, "expect": {"running": true} },
  { "in": {"stop": true}, "expect": {"running": false} } ] } ] }`;

/// Checker diagnostics as CodeMirror diagnostics.
export function toCm(doc: string, located: Located[]): Diagnostic[] {
  const lines = doc.split("\n");
  return located.map((d) => {
    const from = offsetOf(lines, d.line, d.column);
    let to = offsetOf(lines, d.end_line, d.end_column);
    if (to <= from) to = Math.min(from + 1, doc.length);
    return {
      from,
      to,
      severity: d.severity === "error" ? "error" : d.severity === "warning" ? "warning" : "info",
      message: `${d.code}: ${d.message}${d.help ? ` (${d.help})` : ""}`,
    };
  });
}

/// Every failed expectation and fault of a simulator report, one row each.
export function failureRows(report: any): { case: string; step: number; variable: string; expected: string; actual: string }[] {
  const rows = [];
  for (const c of report?.cases ?? []) {
    for (const f of c.failures ?? [])
      rows.push({ case: c.name, step: f.step, variable: f.variable, expected: JSON.stringify(f.expected), actual: JSON.stringify(f.actual) });
    if (c.fault)
      rows.push({ case: c.name, step: c.fault.step, variable: `${c.fault.kind} (line ${c.fault.line})`, expected: "", actual: c.fault.message });
  }
  return rows;
}

export function PlcView() {
  const t = useT();
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const [problems, setProblems] = useState<Located[]>([]);
  const [vectors, setVectors] = useState(SAMPLE_VECTORS);
  const [results, setResults] = useState<any | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!host.current) return;
    const check = linter(
      async (v) => {
        const doc = v.state.doc.toString();
        try {
          const located = await api.stCheck(doc);
          setProblems(located);
          return toCm(doc, located);
        } catch (e) {
          setError(errorText(e));
          return [];
        }
      },
      { delay: 300 },
    );
    view.current = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: SAMPLE,
        extensions: [
          lineNumbers(),
          history(),
          keymap.of([...defaultKeymap, ...historyKeymap]),
          structuredText,
          syntaxHighlighting(defaultHighlightStyle),
          lintGutter(),
          check,
        ],
      }),
    });
    (window as any).__millwrightEditor = view.current;
    return () => view.current?.destroy();
  }, []);

  const code = () => view.current?.state.doc.toString() ?? "";

  async function format() {
    setError(null);
    try {
      const out = await api.stFormat(code());
      const v = view.current!;
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: out } });
    } catch (e) {
      setError(errorText(e));
    }
  }

  async function runTests() {
    setError(null);
    try {
      setResults(await api.stTest(code(), vectors));
    } catch (e) {
      setResults(null);
      setError(errorText(e));
    }
  }

  async function exportSt() {
    const path = await save({ filters: [{ name: "Structured Text", extensions: ["st"] }] });
    if (path) await api.saveText(path, code()).catch((e) => setError(errorText(e)));
  }

  const errors = problems.filter((p) => p.severity === "error").length;
  return (
    <div class="plc">
      <div class="toolbar">
        <button onClick={format}>{t("plc.format")}</button>
        <button id="run-tests" onClick={runTests}>
          {t("plc.run_tests")}
        </button>
        <button onClick={exportSt}>{t("plc.export_st")}</button>
        <span class={`verdict ${errors ? "bad" : "good"}`} id="verdict">
          {errors ? `✗ ${errors}` : "✓"}
        </span>
      </div>
      <div class="editor" ref={host} id="editor" />
      <section class="problems" id="problems">
        <h3>{t("plc.problems")}</h3>
        {problems.length === 0 ? (
          <p class="hint" id="no-problems">
            {t("plc.no_problems")}
          </p>
        ) : (
          <ul>
            {problems.map((p) => (
              <li class={p.severity}>
                {p.line}:{p.column} {p.code} {p.message}
              </li>
            ))}
          </ul>
        )}
      </section>
      {error && (
        <div class="error" role="alert">
          {error}
        </div>
      )}
      <details>
        <summary>{t("plc.vectors")}</summary>
        <textarea class="vectors" value={vectors} onInput={(e) => setVectors((e.target as HTMLTextAreaElement).value)} />
      </details>
      {results && (
        <section class="results" id="results">
          <h3>
            {t("plc.results")}: {results.passed ?? 0}/{results.total ?? 0} {t("plc.passed")}
          </h3>
          <table>
            <thead>
              <tr>
                <th>{t("plc.case")}</th>
                <th>{t("plc.step")}</th>
                <th>{t("plc.variable")}</th>
                <th>{t("plc.expected")}</th>
                <th>{t("plc.actual")}</th>
              </tr>
            </thead>
            <tbody>
              {failureRows(results).map((f) => (
                <tr>
                  <td>{f.case}</td>
                  <td>{f.step}</td>
                  <td>{f.variable}</td>
                  <td>{f.expected}</td>
                  <td>{f.actual}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
