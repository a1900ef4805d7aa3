// Typed calls to the app's commands. Every call goes through `invoke`, so tests
// replace the backend with `mockIPC` and nothing else.
import { Channel, invoke } from "@tauri-apps/api/core";

export interface Settings {
  model?: string | null;
  gpu_layers?: number | null;
  threads?: number | null;
  context_size?: number | null;
  language?: string | null;
  /** Structured Text library sources (files or folders) checks and tests see. */
  st_libraries?: string[];
  /** Read scanned pages and images of added documents by OCR (default on). */
  ocr?: boolean | null;
}

export interface ModelSummary {
  path: string;
  name: string;
  architecture: string;
  file_size: number;
  is_chat: boolean;
  context_length: number | null;
  parameters: string | null;
}

export interface AppInfo {
  version: string;
  data_dir: string;
  model: ModelSummary | null;
  model_error: string | null;
  loaded: { n_ctx: number; threads: number; gpu_layers: number } | null;
  settings: Settings;
  default_model: { name: string; size: number; present: boolean };
  uptime_ms: number;
}

export type DownloadEvent =
  | { kind: "downloading"; package: string; index: number; count: number }
  | { kind: "assembling"; done: number; total: number }
  | { kind: "verifying"; done: number; total: number };

export interface Progress {
  phase: "scanning" | "indexing" | "committing" | "done";
  files_done: number;
  files_total: number;
  bytes_done: number;
  bytes_total: number;
  pages: number;
  chunks: number;
  failed: number;
  current: string | null;
  /** The current file's page being read by OCR, and how many it has. */
  ocr_page?: [number, number] | null;
  elapsed_s: number;
  rate_bytes_s: number;
  eta_s: number | null;
}

export interface AddReport {
  collection: string;
  added: number;
  updated: number;
  unchanged: number;
  removed: number;
  failed: [string, string][];
  pages: number;
  chunks: number;
  elapsed_s: number;
}

export interface DocView {
  collection: string;
  path: string;
  kind: string;
  size: number;
  status: string;
  error: string | null;
  notes: string[];
  pages: number | null;
  chunks: number;
}

export interface KbStatus {
  collections: string[];
  documents: number;
  indexed: number;
  failed: [string, string][];
  pending: number;
  stored_chunks: number;
  index_chunks: number;
  consistent: boolean;
  /** Poppler and Tesseract on this machine. */
  readers: { poppler: boolean; tesseract: boolean; ocr_languages: string[]; missing: string[] };
}

export interface HitView {
  chunk_id: number;
  path: string;
  page: number | null;
  citation: string;
  snippet: string;
  highlights: [number, number][];
  score: number;
}

export interface ChunkView {
  path: string;
  page: number | null;
  citation: string;
  text: string;
}

/// A sentence of a passage the answer opens with, verbatim.
export interface Quote {
  n: number;
  text: string;
  start: number;
  end: number;
  score: number;
  citation: string;
  section: string | null;
}

export type AskEvent =
  | { kind: "retrieved"; answerable: boolean; citations: HitView[] }
  | { kind: "loading_model"; path: string }
  | { kind: "tool"; tool: ToolUse }
  | { kind: "token"; text: string }
  | { kind: "done"; tokens_per_s: number };

/// A mechanism model's result (crates/tools `Called`).
export interface Calculation {
  tool: string;
  title: string;
  formula: string;
  source: string;
  inputs: [string, string][];
  outputs: { name: string; kind: string; unit: string; value: number }[];
  notes: string[];
}

/// A tool as the calculator lists it (crates/app `calc::ToolInfo`).
export interface ToolInfo {
  name: string;
  title: string;
  description: string;
  formula: string;
  source: string;
  arguments: {
    properties: Record<string, { type: string; description: string; enum?: string[] }>;
    required: string[];
  };
}

/// The call the model made and what the tool computed, or why it refused.
export interface ToolUse {
  call: { tool: string; args: Record<string, string> };
  result: Calculation | null;
  error: string | null;
}

export interface Citation {
  n: number;
  path: string;
  page: number | null;
  citation: string;
  snippet: string;
  cited: boolean;
}

export interface Answer {
  answer: string;
  grounded: boolean;
  citations: Citation[];
  quotes: Quote[];
  sentences: { text: string; supported: boolean; unsupported: string[] }[];
}

export interface Located {
  code: string;
  severity: "error" | "warning" | "note";
  line: number;
  column: number;
  end_line: number;
  end_column: number;
  message: string;
  help?: string;
}

export interface TestFailure {
  case: string;
  step: number;
  cycle: number;
  variable: string;
  expected: unknown;
  actual: unknown;
}

/// A run's timing diagram (the simulator's `sim::diagram::Diagram`).
export interface DiagramSignal {
  name: string;
  kind: "bool" | "number" | "time";
  /// [cycle, value] where the value changes; the first cycle always.
  changes: [number, number][];
}

export interface Diagram {
  pou: string;
  /// The virtual clock where the cycle time changes; the first cycle always.
  clock: { cycle: number; time_ms: number; cycle_ms: number }[];
  cycles: number;
  signals: DiagramSignal[];
  marks: { cycle: number; label: string }[];
  left_out: string[];
  truncated: boolean;
}

export type GenEvent =
  | { kind: "context"; citations: string[] }
  | { kind: "loading_model"; path: string }
  | { kind: "attempt"; n: number; candidates: number }
  | { kind: "draft"; text: string }
  | { kind: "token"; text: string };

export interface GenRequest {
  spec: string;
  io_list: string | null;
  vectors_json: string | null;
  rounds: number;
  use_documents: boolean;
  /// Decode under the grammars of the block's own declarations.
  symbols: boolean;
  /// Candidates of the first attempt, decoded side by side.
  candidates: number;
}

/// What a generated block achieved (crates/copilot `Verified`).
export interface Verified {
  parsed: boolean;
  checked: boolean;
  errors: number;
  warnings: number;
  tests_passed: number;
  tests_total: number;
  rounds: number;
}

/// One generation round: what it achieved and how the model's attempt ended.
export interface Round extends Verified {
  ended: "finished" | "end_keyword" | "end_keyword_in_comment" | "token_limit" | "context_full" | "looping" | "cancelled";
  /// Looped or ran out, then kept to its last sound statement and closed (absent: no).
  closed?: boolean;
}

/// One candidate of the first attempt (crates/copilot `CandidateRecord`).
export interface Candidate extends Verified {
  index: number;
  temperature: number;
  seed: number;
  ended: Round["ended"];
  closed?: boolean;
  code: string;
}

export interface GenReport {
  code: string;
  verified: Verified;
  diagnostics: Located[];
  test_failures: string[];
  citations: { source: string; title: string; page?: number }[];
  interface: string[];
  vectors_source?: string;
  history: Round[];
  candidates: Candidate[];
  decoding: "symbols" | "st_grammar" | "free";
  tokens_per_s: number;
}

/// `plc explain`: the interface read from the code, the behaviour in the model's words.
export interface Explanation {
  pous: string[];
  /// [POU, section keyword, name, type as written]
  interface: [string, string, string, string][];
  text: string;
}

/// An IO list as a VAR_GLOBAL list (`plc io`).
export interface Gvl {
  text: string;
  signals: number;
  columns: [string, string][];
  ignored: string[];
}

/// `st run` in the window: the final outputs and the run's timing diagram.
export interface RunView {
  pou: string;
  cycle_ms: number;
  outputs: string[];
  cycles: number;
  fault: { cycle: number; kind: string; message: string; line: number; column: number } | null;
  diagram: Diagram | null;
  last: Record<string, unknown>;
}

export interface RunRequest {
  code: string;
  pou: string;
  cycles: number;
  cycle_ms: number;
  /// `NAME=VALUE`, held for the whole run.
  inputs: string[];
}

export type ModelEvent = { kind: "loading_model"; path: string };

export interface ChatMessage {
  role: "user" | "assistant";
  text: string;
  citations?: Citation[];
  tool?: ToolUse;
}

export interface Chat {
  id: string;
  title: string;
  updated: number;
  messages: ChatMessage[];
}

export const api = {
  appInfo: () => invoke<AppInfo>("app_info"),
  settingsGet: () => invoke<Settings>("settings_get"),
  settingsSet: (settings: Settings) => invoke<Settings>("settings_set", { settings }),
  modelDownload: (onEvent: (e: DownloadEvent) => void) => {
    const ch = new Channel<DownloadEvent>();
    ch.onmessage = onEvent;
    return invoke<string>("model_download", { onEvent: ch });
  },
  docsAdd: (paths: string[], collection: string | null, onProgress: (p: Progress) => void) => {
    const ch = new Channel<Progress>();
    ch.onmessage = onProgress;
    return invoke<AddReport>("docs_add", { paths, collection, onProgress: ch });
  },
  docsList: () => invoke<DocView[]>("docs_list", {}),
  docsStatus: () => invoke<KbStatus>("docs_status"),
  docsSearch: (query: string) => invoke<HitView[]>("docs_search", { query, k: 10 }),
  docsReindex: () => invoke<number>("docs_reindex"),
  docsChunk: (chunkId: number) => invoke<ChunkView>("docs_chunk", { chunkId }),
  docsPage: (chunkId: number) => invoke<string>("docs_page", { chunkId }),
  ask: (question: string, onEvent: (e: AskEvent) => void) => {
    const ch = new Channel<AskEvent>();
    ch.onmessage = onEvent;
    return invoke<Answer>("ask", { question, collection: null, onEvent: ch });
  },
  cancel: () => invoke<void>("cancel"),
  stCheck: (code: string) => invoke<Located[]>("st_check", { code }),
  stFormat: (code: string) => invoke<string>("st_format", { code }),
  stTest: (code: string, vectorsJson: string) => invoke<any>("st_test", { code, vectorsJson }),
  stRun: (request: RunRequest) => invoke<RunView>("st_run", { request }),
  stOpen: (path: string) => invoke<string>("st_open", { path }),
  calcTools: () => invoke<ToolInfo[]>("calc_tools"),
  calcRun: (request: { tool: string; args: [string, string][] }) => invoke<Calculation>("calc_run", { request }),
  stPlcopen: (code: string) => invoke<{ xml: string; notes: string[] }>("st_plcopen", { code }),
  plcGenerate: (request: GenRequest, onEvent: (e: GenEvent) => void) => {
    const ch = new Channel<GenEvent>();
    ch.onmessage = onEvent;
    return invoke<GenReport>("plc_generate", { request, onEvent: ch });
  },
  plcExplain: (code: string, lang: "en" | "zh", onEvent: (e: ModelEvent) => void) => {
    const ch = new Channel<ModelEvent>();
    ch.onmessage = onEvent;
    return invoke<Explanation>("plc_explain", { code, lang, onEvent: ch });
  },
  plcComment: (code: string, onEvent: (e: ModelEvent) => void) => {
    const ch = new Channel<ModelEvent>();
    ch.onmessage = onEvent;
    return invoke<string>("plc_comment", { code, onEvent: ch });
  },
  plcIo: (path: string, gvl: string | null) => invoke<Gvl>("plc_io", { path, gvl }),
  saveText: (path: string, text: string) => invoke<void>("save_text", { path, text }),
  chatsList: () => invoke<{ id: string; title: string; updated: number }[]>("chats_list"),
  chatSave: (chat: Chat) => invoke<void>("chat_save", { chat }),
  chatLoad: (id: string) => invoke<Chat>("chat_load", { id }),
};

/// An error from a command, as text for the user.
export function errorText(e: unknown): string {
  return typeof e === "string" ? e : e instanceof Error ? e.message : JSON.stringify(e);
}
