import { useEffect, useRef, useState } from "preact/hooks";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { syntaxHighlighting, defaultHighlightStyle } from "@codemirror/language";
import { linter, lintGutter, type Diagnostic } from "@codemirror/lint";
import { open, save } from "@tauri-apps/plugin-dialog";
import { api, errorText, type Candidate, type Explanation, type GenReport, type Gvl, type Located, type Round, type RunView, type Verified } from "../api";
import { TextBatcher } from "../chat";
import { TimingDiagram } from "./TimingDiagram";
import { offsetOf, structuredText } from "../st-language";
import type { Key } from "../i18n";
import { lang, status, useT } from "../store";

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

/// The first POU the code declares (what a run starts with), or "".
export function firstPou(code: string): string {
  const m = /^\s*(?:FUNCTION_BLOCK|PROGRAM|FUNCTION)\s+([A-Za-z_][A-Za-z0-9_]*)/im.exec(code);
  return m ? m[1] : "";
}

/// Inputs typed as `a=1, b=TRUE` or one per line, as `NAME=VALUE` items.
export function runInputs(text: string): string[] {
  return text
    .split(/[\n,;]/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
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

/// The verification summary's parts, in the order the report gives them.
export function summaryParts(v: Verified): { label: Key; ok: boolean; text: string }[] {
  return [
    { label: "gen.parsed", ok: v.parsed, text: v.parsed ? "✓" : "✗" },
    {
      label: "gen.checked",
      ok: v.checked && v.errors === 0,
      text: `${v.checked && v.errors === 0 ? "✓" : "✗"} (${v.errors} / ${v.warnings})`,
    },
    { label: "gen.tests", ok: v.tests_total > 0 && v.tests_passed === v.tests_total, text: `${v.tests_passed}/${v.tests_total}` },
    { label: "gen.rounds_used", ok: true, text: String(v.rounds) },
  ];
}

/// Attempts the model did not finish (token limit, full context, or ended
/// as looping), as "k/n"; null when all finished.
export function cutOff(history: Round[]): string | null {
  const k = history.filter((r) => r.ended === "token_limit" || r.ended === "context_full" || r.ended === "looping").length;
  return k === 0 ? null : `${k}/${history.length}`;
}

/// Of several candidates: how many check clean and how many passed every
/// test; null for a single attempt.
export function candidateCounts(cands: Candidate[]): { n: number; clean: number; passed: number } | null {
  if (cands.length < 2) return null;
  const clean = cands.filter((c) => c.parsed && c.errors === 0);
  return {
    n: cands.length,
    clean: clean.length,
    passed: clean.filter((c) => c.tests_total > 0 && c.tests_passed === c.tests_total).length,
  };
}

export function PlcView() {
  const t = useT();
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const [problems, setProblems] = useState<Located[]>([]);
  const [vectors, setVectors] = useState(SAMPLE_VECTORS);
  const [results, setResults] = useState<any | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [spec, setSpec] = useState("");
  const [ioList, setIoList] = useState<string | null>(null);
  const [rounds, setRounds] = useState(2);
  // As `plc gen` defaults (copilot DEFAULT_CANDIDATES): measured best on the default model.
  const [symbols, setSymbols] = useState(true);
  const [candidates, setCandidates] = useState(4);
  const [useDocs, setUseDocs] = useState(true);
  const [useVectors, setUseVectors] = useState(false);
  const [generating, setGenerating] = useState(false);
  const [progress, setProgress] = useState<string | null>(null);
  const [draft, setDraft] = useState("");
  const [report, setReport] = useState<GenReport | null>(null);
  const [edited, setEdited] = useState(false);
  const generatedCode = useRef<string | null>(null);
  const [runPou, setRunPou] = useState("");
  const [runCycles, setRunCycles] = useState(100);
  const [runCycleMs, setRunCycleMs] = useState(10);
  const [runIn, setRunIn] = useState("start=TRUE");
  const [run, setRun] = useState<RunView | null>(null);
  const [explanation, setExplanation] = useState<Explanation | null>(null);
  const [gvl, setGvl] = useState<Gvl | null>(null);
  /// The model task running from the toolbar (explain or comment), if any.
  const [modelTask, setModelTask] = useState<"explain" | "comment" | null>(null);

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
          // The summary belongs to the generated code; say when it no longer matches.
          EditorView.updateListener.of((u) => {
            if (u.docChanged && generatedCode.current !== null)
              setEdited(u.state.doc.toString() !== generatedCode.current);
          }),
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

  async function chooseIoList() {
    const path = await open({ filters: [{ name: "IO list", extensions: ["csv", "xlsx", "xls", "ods"] }] });
    if (typeof path === "string") setIoList(path);
  }

  async function generate() {
    if (generating || !spec.trim()) return;
    setError(null);
    setGenerating(true);
    setDraft("");
    setProgress(null);
    status.update((s) => ({ ...s, busy: true }));
    let attempt = 0;
    const text = new TextBatcher((t) => setDraft((d) => d + t));
    try {
      const r = await api.plcGenerate(
        {
          spec,
          io_list: ioList,
          vectors_json: useVectors ? vectors : null,
          rounds,
          use_documents: useDocs,
          symbols,
          candidates,
        },
        (e) => {
          if (e.kind === "loading_model") setProgress(t("ask.loading_model"));
          if (e.kind === "context") setProgress(`${t("gen.from_documents")}: ${e.citations.join("; ")}`);
          if (e.kind === "attempt") {
            attempt = e.n;
            text.flush();
            setDraft("");
            setProgress(
              `${t("gen.attempt")} ${e.n} / ${rounds + 1}` + (e.candidates > 1 ? ` · ${e.candidates} ${t("gen.candidates")}` : ""),
            );
          }
          if (e.kind === "draft") {
            text.flush();
            setDraft(e.text);
          }
          if (e.kind === "token") text.push(e.text);
        },
      );
      generatedCode.current = r.code;
      const v = view.current!;
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: r.code } });
      setEdited(false);
      setReport(r);
      setResults(null);
      if (r.tokens_per_s > 0) status.update((s) => ({ ...s, tokensPerS: r.tokens_per_s }));
    } catch (e) {
      setError(errorText(e) + (attempt > 0 ? ` (${t("gen.attempt")} ${attempt})` : ""));
    } finally {
      text.flush();
      setGenerating(false);
      setProgress(null);
      status.update((s) => ({ ...s, busy: false }));
    }
  }

  async function runProgram() {
    setError(null);
    try {
      setRun(
        await api.stRun({
          code: code(),
          pou: runPou.trim() || firstPou(code()),
          cycles: runCycles,
          cycle_ms: runCycleMs,
          inputs: runInputs(runIn),
        }),
      );
    } catch (e) {
      setRun(null);
      setError(errorText(e));
    }
  }

  /// Explaining and commenting use the model: one at a time, shown as busy.
  async function withModel(task: "explain" | "comment", f: () => Promise<void>) {
    if (modelTask || generating) return;
    setError(null);
    setModelTask(task);
    status.update((s) => ({ ...s, busy: true }));
    try {
      await f();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setModelTask(null);
      setProgress(null);
      status.update((s) => ({ ...s, busy: false }));
    }
  }

  const onModelEvent = () => setProgress(t("ask.loading_model"));

  function explain() {
    return withModel("explain", async () => {
      setExplanation(await api.plcExplain(code(), lang.get() === "zh" ? "zh" : "en", onModelEvent));
    });
  }

  function addComments() {
    return withModel("comment", async () => {
      const out = await api.plcComment(code(), onModelEvent);
      const v = view.current!;
      // One change: Ctrl+Z takes the comments back.
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: out } });
    });
  }

  async function ioToGvl() {
    setError(null);
    const path = await open({ filters: [{ name: "IO list", extensions: ["csv", "xlsx", "xls", "ods"] }] });
    if (typeof path !== "string") return;
    try {
      setGvl(await api.plcIo(path, null));
    } catch (e) {
      setGvl(null);
      setError(errorText(e));
    }
  }

  async function saveGvl() {
    if (!gvl) return;
    const path = await save({ filters: [{ name: "Structured Text", extensions: ["st"] }] });
    if (path) await api.saveText(path, gvl.text).catch((e) => setError(errorText(e)));
  }

  async function openFile() {
    setError(null);
    const path = await open({
      filters: [{ name: "Structured Text", extensions: ["st", "exp", "xml", "TcPOU", "tcpou"] }],
    });
    if (typeof path === "string") await openPath(path);
  }

  async function openPath(path: string) {
    try {
      const text = await api.stOpen(path);
      const v = view.current!;
      // One change: Ctrl+Z brings the previous code back.
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: text } });
    } catch (e) {
      setError(errorText(e));
    }
  }
  // End-to-end tests open a fixture without a native dialog.
  (window as any).__millwrightOpenSt = openPath;

  async function exportPlcopen() {
    setError(null);
    try {
      const out = await api.stPlcopen(code());
      const path = await save({ filters: [{ name: "PLCopen XML", extensions: ["xml"] }] });
      if (path) await api.saveText(path, out.xml);
      if (out.notes.length) setError(out.notes.join("\n"));
    } catch (e) {
      setError(errorText(e));
    }
  }

  async function exportSt() {
    const path = await save({ filters: [{ name: "Structured Text", extensions: ["st"] }] });
    if (path) await api.saveText(path, code()).catch((e) => setError(errorText(e)));
  }

  const errors = problems.filter((p) => p.severity === "error").length;
  return (
    <div
      class="plc"
      onKeyDown={(e) => {
        // Shortcuts while the PLC view has focus: run tests, format.
        if (e.key === "F5") {
          e.preventDefault();
          runTests();
        } else if (e.altKey && e.shiftKey && e.key.toLowerCase() === "f") {
          e.preventDefault();
          format();
        }
      }}
    >
      <details class="generate" open>
        <summary>{t("gen.title")}</summary>
        <textarea
          id="spec"
          value={spec}
          placeholder={t("gen.placeholder")}
          onInput={(e) => setSpec((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
              e.preventDefault();
              generate();
            }
          }}
        />
        <div class="toolbar">
          <button onClick={chooseIoList} title={ioList ?? ""}>
            {ioList ? `${t("gen.io_list")}: ${ioList.split(/[\\/]/).pop()}` : t("gen.io_list")}
          </button>
          {ioList && (
            <button class="link" onClick={() => setIoList(null)} aria-label={t("gen.clear_io_list")}>
              ×
            </button>
          )}
          <label>
            {t("gen.rounds")}{" "}
            <input
              type="number"
              min={0}
              max={10}
              value={rounds}
              onInput={(e) => setRounds(Math.max(0, Math.min(10, Number((e.target as HTMLInputElement).value) || 0)))}
            />
          </label>
          <label title={t("gen.candidates_help")}>
            {t("gen.candidates")}{" "}
            <input
              id="gen-candidates"
              type="number"
              min={1}
              max={8}
              value={candidates}
              onInput={(e) => setCandidates(Math.max(1, Math.min(8, Number((e.target as HTMLInputElement).value) || 1)))}
            />
          </label>
          <label title={t("gen.symbols_help")}>
            <input type="checkbox" checked={symbols} onChange={(e) => setSymbols((e.target as HTMLInputElement).checked)} />{" "}
            {t("gen.symbols")}
          </label>
          <label>
            <input type="checkbox" checked={useDocs} onChange={(e) => setUseDocs((e.target as HTMLInputElement).checked)} />{" "}
            {t("gen.use_documents")}
          </label>
          <label>
            <input type="checkbox" checked={useVectors} onChange={(e) => setUseVectors((e.target as HTMLInputElement).checked)} />{" "}
            {t("gen.use_vectors")}
          </label>
          {generating ? (
            <button id="gen-stop" onClick={() => api.cancel()}>
              {t("ask.stop")}
            </button>
          ) : (
            <button id="gen-run" class="primary" onClick={generate} disabled={!spec.trim()} title="Ctrl+Enter">
              {t("gen.generate")}
            </button>
          )}
          {progress && <span class="note" id="gen-progress">{progress}</span>}
        </div>
        {generating && draft && <pre class="draft" id="gen-draft">{draft}</pre>}
      </details>
      <div class="toolbar" id="plc-toolbar">
        <button id="plc-open" onClick={openFile} title={t("plc.open_help")}>
          {t("plc.open")}
        </button>
        <button onClick={format} title="Shift+Alt+F">
          {t("plc.format")}
        </button>
        <button id="run-tests" onClick={runTests} title="F5">
          {t("plc.run_tests")}
        </button>
        <button id="plc-explain" onClick={explain} disabled={!!modelTask || generating}>
          {modelTask === "explain" ? t("plc.explaining") : t("plc.explain")}
        </button>
        <button id="plc-comment" onClick={addComments} disabled={!!modelTask || generating} title={t("plc.comment_help")}>
          {modelTask === "comment" ? t("plc.commenting") : t("plc.comment")}
        </button>
        <button id="plc-io" onClick={ioToGvl} title={t("plc.io_help")}>
          {t("plc.io")}
        </button>
        <button onClick={exportSt}>{t("plc.export_st")}</button>
        <button id="export-plcopen" onClick={exportPlcopen}>
          {t("plc.export_plcopen")}
        </button>
        <span class={`verdict ${errors ? "bad" : "good"}`} id="verdict">
          {errors ? `✗ ${errors}` : "✓"}
        </span>
        {report && (
          <span class="summary" id="gen-summary" title={t("gen.summary_help")}>
            {summaryParts(report.verified).map((p) => (
              <span class={p.ok ? "good" : "bad"} data-part={p.label}>
                {t(p.label)} {p.text}
              </span>
            ))}
            {report.vectors_source === "model" && <span class="note">{t("gen.model_tests")}</span>}
            {(() => {
              const c = candidateCounts(report.candidates);
              return (
                c && (
                  <span class="note" id="gen-candidates-summary">
                    {t("gen.candidates_summary").replace("{n}", String(c.n)).replace("{clean}", String(c.clean)).replace("{passed}", String(c.passed))}
                  </span>
                )
              );
            })()}
            {report.decoding === "symbols" && (
              <span class="note" id="gen-constrained" title={t("gen.symbols_help")}>
                {t("gen.constrained")}
              </span>
            )}
            {cutOff(report.history) && (
              <span class="note bad" id="gen-cut-off" title={t("gen.cut_off_help")}>
                {t("gen.cut_off")} {cutOff(report.history)}
              </span>
            )}
            {edited && <span class="note" id="gen-edited">{t("gen.edited")}</span>}
          </span>
        )}
      </div>
      {report && (report.citations.length > 0 || report.test_failures.length > 0) && (
        <section class="gen-details" id="gen-details">
          {report.citations.map((c) => (
            <div class="citation">
              {c.source.startsWith("st-library/") ? t("gen.example") : t("gen.from_documents")}: {c.title}
            </div>
          ))}
          {report.test_failures.map((f) => (
            <div class="bad">{f}</div>
          ))}
        </section>
      )}
      {modelTask && progress && <span class="note">{progress}</span>}
      {explanation && (
        <section class="explanation" id="explanation">
          <h3>
            {t("plc.explanation")}{" "}
            <button class="link" onClick={() => setExplanation(null)} aria-label={t("plc.close")}>
              ×
            </button>
          </h3>
          {explanation.pous.map((p) => (
            <div class="pou">{p}</div>
          ))}
          <ul>
            {explanation.interface.map(([pou, kind, name, ty]) => (
              <li>
                {pou}: {kind} {name} : {ty}
              </li>
            ))}
          </ul>
          <p>{explanation.text}</p>
        </section>
      )}
      {gvl && (
        <section class="gvl" id="gvl">
          <h3>
            {t("plc.io_result").replace("{n}", String(gvl.signals))}{" "}
            <button onClick={saveGvl}>{t("plc.export_st")}</button>{" "}
            <button class="link" onClick={() => setGvl(null)} aria-label={t("plc.close")}>
              ×
            </button>
          </h3>
          {gvl.ignored.length > 0 && (
            <p class="note">
              {t("plc.io_ignored")}: {gvl.ignored.join(", ")}
            </p>
          )}
          <pre>{gvl.text}</pre>
        </section>
      )}
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
      <details id="run-panel">
        <summary>{t("run.title")}</summary>
        <div class="toolbar">
          <label>
            {t("run.pou")}{" "}
            <input id="run-pou" value={runPou} placeholder={firstPou(code())} onInput={(e) => setRunPou((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            {t("run.cycles")}{" "}
            <input
              id="run-cycles"
              type="number"
              min={1}
              value={runCycles}
              onInput={(e) => setRunCycles(Math.max(1, Math.floor(Number((e.target as HTMLInputElement).value) || 1)))}
            />
          </label>
          <label>
            {t("run.cycle_ms")}{" "}
            <input
              type="number"
              min={0.001}
              step="any"
              value={runCycleMs}
              onInput={(e) => setRunCycleMs(Number((e.target as HTMLInputElement).value) || 10)}
            />
          </label>
          <label title={t("run.inputs_help")}>
            {t("run.inputs")}{" "}
            <input id="run-inputs" value={runIn} onInput={(e) => setRunIn((e.target as HTMLInputElement).value)} />
          </label>
          <button id="st-run" onClick={runProgram}>
            {t("run.run")}
          </button>
        </div>
        {run && (
          <section id="run-result">
            <p>
              {t("run.after").replace("{n}", String(run.cycles))}:{" "}
              {Object.entries(run.last).map(([k, v]) => (
                <span class="run-value" data-name={k}>
                  {k} = {JSON.stringify(v)}{" "}
                </span>
              ))}
            </p>
            {run.fault && (
              <p class="bad">
                {t("run.fault")} {run.fault.cycle} ({run.fault.line}:{run.fault.column}): {run.fault.message}
              </p>
            )}
            {run.diagram && <TimingDiagram diagram={run.diagram} />}
          </section>
        )}
      </details>
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
          {(results.cases ?? [])
            .filter((c: any) => c.diagram)
            .map((c: any) => (
              <div class="case-diagram">
                <h4>
                  {t("diagram.title")}: {c.name}
                </h4>
                <TimingDiagram diagram={c.diagram} />
              </div>
            ))}
        </section>
      )}
    </div>
  );
}
