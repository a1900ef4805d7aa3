import { describe, expect, it, beforeEach, afterEach } from "vitest";
import { render } from "preact";
import { mockIPC, clearMocks } from "@tauri-apps/api/mocks";
import { dictionaries, initialLang, translate } from "./i18n";
import { applyEvent, locate, markCited, newChat, splitQuotes, titleOf, toMarkdown, formatEta, formatValue, TextBatcher } from "./chat";
import { offsetOf, stParser } from "./st-language";
import { StringStream } from "@codemirror/language";
import { toCm, failureRows, summaryParts, cutOff, candidateCounts, firstPou, runInputs } from "./views/Plc";
import { lanesData, stepped, timeMs } from "./views/TimingDiagram";
import { lang } from "./store";
import type { ChatMessage, ToolUse } from "./api";
import { ToolCard } from "./views/Ask";

describe("i18n", () => {
  it("has every English key in Chinese, translated", () => {
    for (const k of Object.keys(dictionaries.en)) {
      const zh = (dictionaries.zh as Record<string, string>)[k];
      expect(zh, k).toBeTruthy();
      if (!["nav.plc"].includes(k)) expect(zh, k).not.toEqual((dictionaries.en as Record<string, string>)[k]);
    }
  });
  it("starts in the saved language, else the system's", () => {
    expect(initialLang("zh", "en-US")).toBe("zh");
    expect(initialLang(null, "zh-CN")).toBe("zh");
    expect(initialLang(undefined, "de-DE")).toBe("en");
    expect(translate("zh", "nav.ask")).toBe("问答");
  });
});

describe("chat", () => {
  it("separates the opening quotes from the model's words and finds them in the passage", () => {
    const text = "> The feed pump P-101 stops after 10 s without flow. [1]\n> (LINEAR_INT) XY : ARRAY (sortierte Wertepaare) [2]\n\nAccording to [1], it stops.";
    const { quotes, rest } = splitQuotes(text);
    expect(quotes).toEqual([
      { text: "The feed pump P-101 stops after 10 s without flow.", n: 1 },
      { text: "(LINEAR_INT) XY : ARRAY (sortierte Wertepaare)", n: 2 },
    ]);
    expect(rest).toBe("According to [1], it stops.");
    expect(splitQuotes("No quotes [1].")).toEqual({ quotes: [], rest: "No quotes [1]." });
    const passage = "Dry running\nThe feed pump P-101 stops after\n10 s without flow. Restart.";
    const at = locate(passage, quotes[0].text)!;
    expect(passage.slice(at[0], at[1])).toBe("The feed pump P-101 stops after\n10 s without flow.");
    const pdf = "7.8 LINEAR_INT\n\nXY : ARRAY   (sortierte Wertepaare)\n";
    expect(locate(pdf, quotes[1].text)).not.toBeNull();
    expect(locate(passage, "not there")).toBeNull();
  });

  it("builds the answer from streamed events and marks the citations used", () => {
    let m: ChatMessage = { role: "assistant", text: "" };
    m = applyEvent(m, {
      kind: "retrieved",
      answerable: true,
      citations: [
        { chunk_id: 7, path: "/d/m.pdf", page: 12, citation: "m.pdf, p. 12", snippet: "s", highlights: [], score: 3 },
        { chunk_id: 8, path: "/d/m.pdf", page: 13, citation: "m.pdf, p. 13", snippet: "t", highlights: [], score: 2 },
      ],
    });
    m = applyEvent(m, { kind: "token", text: "The pump stops " });
    m = applyEvent(m, { kind: "token", text: "after 10 s [2]." });
    m = markCited(m);
    expect(m.text).toBe("The pump stops after 10 s [2].");
    expect(m.citations!.map((c) => c.cited)).toEqual([false, true]);
    const chat = { ...newChat(1), title: "Dry running", messages: [{ role: "user" as const, text: "When?" }, m] };
    const md = toMarkdown(chat);
    expect(md).toContain("# Dry running");
    expect(md).toContain("**Q:** When?");
    expect(md).toContain("[2] m.pdf, p. 13 — /d/m.pdf");
    expect(md).not.toContain("[1] m.pdf");
  });
  it("keeps a calculation with the answer and exports it", () => {
    const use: ToolUse = {
      call: { tool: "motor_torque", args: { power: "22 kW", speed: "1470 rpm" } },
      result: {
        tool: "motor_torque",
        title: "Motor torque from power and speed",
        formula: "T = P / ω",
        source: "IEC 60034-1",
        inputs: [["power", "22 kW"], ["speed", "1470 rpm"]],
        outputs: [{ name: "torque", kind: "torque", unit: "N·m", value: 142.91529 }],
        notes: [],
      },
      error: null,
    };
    let m: ChatMessage = { role: "assistant", text: "" };
    m = applyEvent(m, { kind: "tool", tool: use });
    m = applyEvent(m, { kind: "token", text: "Motor torque: torque = 142.915 N·m." });
    expect(m.tool).toEqual(use);
    const md = toMarkdown({ ...newChat(1), title: "T", messages: [m] });
    expect(md).toContain("> - result: torque = 142.915 N·m");
    expect(md).toContain("> - formula: T = P / ω");
    expect(formatValue(0.000123456789)).toBe("0.000123457");
    expect(formatValue(1234567)).toBe("1234570");
  });
  it("batches streamed text and loses none of it", async () => {
    const got: string[] = [];
    const b = new TextBatcher((t) => got.push(t), 20);
    for (const t of ["The ", "pump ", "stops"]) b.push(t);
    expect(got).toEqual([]);
    await new Promise((r) => setTimeout(r, 40));
    expect(got).toEqual(["The pump stops"]);
    b.push(" after 10 s.");
    b.flush();
    b.flush();
    expect(got.join("")).toBe("The pump stops after 10 s.");
  });
  it("shortens long titles by characters", () => {
    expect(titleOf("电".repeat(80))).toHaveLength(60);
    expect(formatEta(75)).toBe("1 min 15 s");
    expect(formatEta(null)).toBe("–");
  });
});

describe("PLC editor", () => {
  it("highlights comments, nested and across lines, called as CodeMirror calls it", () => {
    // StreamLanguage calls `token` unbound; a method using `this` threw on
    // `(*` and the editor dropped the keys typed after it.
    const token = stParser.token;
    const state = stParser.startState!(2);
    const kinds = (line: string) => {
      const s = new StringStream(line, 4, 2);
      const out: [string, string | null][] = [];
      while (!s.eol()) {
        const k = token(s, state);
        out.push([s.current(), k]);
        s.start = s.pos;
      }
      return out;
    };
    expect(kinds("x := 1; (* a (* b *)")).toEqual([
      ["x", "variableName"],
      [" ", null],
      [":", null],
      ["=", null],
      [" ", null],
      ["1", "number"],
      [";", null],
      [" ", null],
      ["(* a (* b *)", "comment"],
    ]);
    expect(state.comment).toBe(1);
    expect(kinds("still *) IF")).toEqual([
      ["still *)", "comment"],
      [" ", null],
      ["IF", "keyword"],
    ]);
  });
  it("maps checker lines and columns to editor offsets", () => {
    const doc = "PROGRAM P\nx := 1\nEND_PROGRAM";
    expect(offsetOf(doc.split("\n"), 2, 1)).toBe(10);
    const d = toCm(doc, [
      { code: "ST0001", severity: "error", line: 2, column: 6, end_line: 2, end_column: 7, message: "expected ;" },
    ]);
    expect(d[0]).toMatchObject({ from: 15, to: 16, severity: "error" });
    expect(d[0].message).toContain("ST0001");
  });
  it("summarises what a generated block achieved", () => {
    const parts = summaryParts({ parsed: true, checked: true, errors: 2, warnings: 1, tests_passed: 3, tests_total: 4, rounds: 3 });
    expect(parts.map((p) => [p.label, p.ok, p.text])).toEqual([
      ["gen.parsed", true, "✓"],
      ["gen.checked", false, "✗ (2 / 1)"],
      ["gen.tests", false, "3/4"],
      ["gen.rounds_used", true, "3"],
    ]);
    const clean = summaryParts({ parsed: true, checked: true, errors: 0, warnings: 0, tests_passed: 2, tests_total: 2, rounds: 1 });
    expect(clean.every((p) => p.ok)).toBe(true);
    // No vectors: zero of zero tests is not a pass.
    expect(summaryParts({ parsed: true, checked: true, errors: 0, warnings: 0, tests_passed: 0, tests_total: 0, rounds: 1 })[2].ok).toBe(false);
  });
  it("counts the attempts the model did not finish", () => {
    const round = (ended: any) => ({ parsed: false, checked: false, errors: 1, warnings: 0, tests_passed: 0, tests_total: 2, rounds: 1, ended });
    expect(cutOff([round("finished"), round("end_keyword_in_comment")])).toBeNull();
    expect(cutOff([round("token_limit"), round("finished"), round("context_full")])).toBe("2/3");
    expect(cutOff([round("looping"), round("finished")])).toBe("1/2");
  });
  it("counts the candidates that check clean and those that passed", () => {
    const cand = (errors: number, passed: number, ended: any = "finished") => ({
      parsed: true, checked: true, errors, warnings: 0, tests_passed: passed, tests_total: 2, rounds: 1,
      index: 0, temperature: 0.7, seed: 1, ended, code: "",
    });
    expect(candidateCounts([cand(0, 2)])).toBeNull();
    expect(candidateCounts([cand(0, 2), cand(0, 1), cand(3, 2, "looping"), cand(0, 0)])).toEqual({ n: 4, clean: 3, passed: 1 });
  });
  it("lists failed expectations and faults of a test report", () => {
    const rows = failureRows({
      cases: [
        { name: "a", failures: [{ step: 2, variable: "q", expected: true, actual: false }] },
        { name: "b", failures: [], fault: { step: 1, kind: "division_by_zero", line: 4, message: "division by zero" } },
      ],
    });
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ case: "a", variable: "q", expected: "true", actual: "false" });
    expect(rows[1].actual).toBe("division by zero");
  });
});

describe("the app shell with the IPC mocked", () => {
  let root: HTMLElement;
  beforeEach(() => {
    root = document.createElement("div");
    document.body.appendChild(root);
  });
  afterEach(() => {
    render(null, root);
    root.remove();
    clearMocks();
    lang.set("en");
  });

  it("shows a refused tool call with the reason, in the UI's language", () => {
    lang.set("zh");
    const use: ToolUse = {
      call: { tool: "three_phase_power", args: { cos_phi: "1.7" } },
      result: null,
      error: "`cos_phi` is 1.7, but must be from 0 to 1",
    };
    render(<ToolCard use={use} />, root);
    const card = root.querySelector(".tool-card.refused")!;
    expect(card.querySelector("summary")!.textContent).toContain("工具拒绝了模型给出的调用");
    expect(card.textContent).toContain("cos_phi = 1.7");
    expect(card.textContent).toContain("must be from 0 to 1");
  });

  it("offers the default model for download only when it is missing, and asks first", async () => {
    const info = (present: boolean) => ({
      version: "0.1.0",
      data_dir: "/tmp/mw",
      model: null,
      model_error: "the default model is not downloaded",
      loaded: null,
      settings: { language: "en" },
      default_model: { name: "gemma-3-270m-q4_k_m", size: 253113024, present },
      uptime_ms: 5,
    });
    let calls: string[] = [];
    for (const present of [false, true]) {
      calls = [];
      mockIPC((cmd) => {
        calls.push(cmd);
        if (cmd === "app_info") return info(present);
        return null;
      });
      const { SettingsView, downloadText } = await import("./views/Settings");
      render(<SettingsView />, root);
      await new Promise((r) => setTimeout(r, 30));
      expect(!!root.querySelector("#download-start"), `present=${present}`).toBe(!present);
      if (!present) {
        expect(root.querySelector("#download")!.textContent).toContain("253 MB");
        expect(root.querySelector("#download")!.textContent).toContain("only time Millwright connects");
        expect(downloadText({ kind: "verifying", done: 50, total: 200 }, (k) => k)).toBe("download.verifying 25 %");
      }
      expect(calls).not.toContain("model_download");
      render(null, root);
    }
  });

  it("lists the ST libraries of the settings and saves a removal", async () => {
    let saved: unknown = null;
    mockIPC((cmd, args) => {
      if (cmd === "app_info")
        return {
          version: "0.1.0",
          data_dir: "/tmp/mw",
          model: null,
          model_error: null,
          loaded: null,
          settings: { language: "en", st_libraries: ["/plc/oscat", "/plc/vendor.exp"] },
          default_model: { name: "gemma-3-270m-q4_k_m", size: 253113024, present: true },
          uptime_ms: 5,
        };
      if (cmd === "settings_set") {
        saved = (args as { settings: unknown }).settings;
        return saved;
      }
      return null;
    });
    const { SettingsView } = await import("./views/Settings");
    render(<SettingsView />, root);
    await new Promise((r) => setTimeout(r, 30));
    const section = root.querySelector("#st-libraries")!;
    expect(section.textContent).toContain("/plc/oscat");
    const remove = section.querySelectorAll("li button")[0] as HTMLButtonElement;
    remove.click();
    await new Promise((r) => setTimeout(r, 30));
    expect((saved as { st_libraries: string[] }).st_libraries).toEqual(["/plc/vendor.exp"]);
    render(null, root);
  });

  it("switches views with Ctrl+1 to Ctrl+5 only", async () => {
    const { pageForKey } = await import("./main");
    const k = (key: string, ctrlKey = true, altKey = false) => pageForKey({ key, ctrlKey, metaKey: false, altKey });
    expect(k("1")).toBe("ask");
    expect(k("3")).toBe("plc");
    expect(k("4")).toBe("calc");
    expect(k("5")).toBe("settings");
    expect(k("6")).toBeNull();
    expect(k("2", false)).toBeNull();
    expect(k("2", true, true)).toBeNull();
  });

  it("renders in the saved language and shows the model", async () => {
    mockIPC((cmd) => {
      if (cmd === "app_info")
        return {
          version: "0.1.0",
          data_dir: "/tmp/mw",
          model: { path: "/m.gguf", name: "Gemma 3 270m", architecture: "gemma3", file_size: 253e6, is_chat: false, context_length: 32768, parameters: "270M" },
          model_error: null,
          loaded: null,
          settings: { language: "zh" },
          default_model: { name: "gemma-3-270m-q4_k_m", size: 253113024, present: true },
          uptime_ms: 5,
        };
      if (cmd === "docs_list" || cmd === "chats_list") return [];
      if (cmd === "st_check") return [];
      return null;
    });
    const { App } = await import("./main");
    render(<App />, root);
    await new Promise((r) => setTimeout(r, 50));
    expect(root.querySelector("#nav-ask")!.textContent).toBe("问答");
    expect(root.querySelector("#statusbar")!.textContent).toContain("Gemma 3 270m");
  });
});

describe("timing diagram", () => {
  it("holds every signal's value at each change of any signal", () => {
    const { x, ys } = lanesData({
      pou: "FB_Motor",
      clock: [{ cycle: 0, time_ms: 0, cycle_ms: 10 }],
      cycles: 6,
      signals: [
        { name: "start", kind: "bool", changes: [[0, 1], [2, 0]] },
        { name: "level", kind: "number", changes: [[1, 2.5], [4, -1]] },
      ],
      marks: [{ cycle: 2, label: "step 2: running" }],
      left_out: [],
      truncated: false,
    });
    expect(x).toEqual([0, 10, 20, 40, 50]);
    expect(ys[0]).toEqual([1, 1, 0, 0, 0]);
    expect(ys[1]).toEqual([NaN, 2.5, 2.5, -1, -1]);
    // A step with its own cycle time: cycles 3 on take 100 ms each.
    const paced = {
      pou: "FB_Motor",
      clock: [
        { cycle: 0, time_ms: 0, cycle_ms: 10 },
        { cycle: 3, time_ms: 30, cycle_ms: 100 },
      ],
      cycles: 6,
      signals: [],
      marks: [],
      left_out: [],
      truncated: false,
    };
    expect([0, 2, 3, 4, 6].map((c) => timeMs(paced, c))).toEqual([0, 20, 30, 130, 330]);
    const s = stepped({ x: [0, 10, 20], ys: [[1, 1, 0]] });
    expect(s.x).toEqual([0, 10, 10, 20, 20]);
    expect(s.ys[0]).toEqual([1, 1, 1, 1, 0]);
  });
});

describe("a run from the PLC view", () => {
  it("starts with the first POU the code declares", () => {
    expect(firstPou("(* motor *)\nFUNCTION_BLOCK FB_Motor\nVAR_INPUT a : BOOL; END_VAR\nEND_FUNCTION_BLOCK\nPROGRAM Main\nEND_PROGRAM")).toBe("FB_Motor");
    expect(firstPou("program main\nend_program")).toBe("main");
    expect(firstPou("TYPE E : (A, B); END_TYPE")).toBe("");
  });
  it("takes inputs separated by commas, semicolons or lines", () => {
    expect(runInputs(" start=TRUE, sp=42.5;\ndelay=T#2s\n\n")).toEqual(["start=TRUE", "sp=42.5", "delay=T#2s"]);
    expect(runInputs("  ")).toEqual([]);
  });
});
