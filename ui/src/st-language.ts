// Structured Text highlighting for CodeMirror: keywords, types, comments
// (nested `(* *)`, `//`), strings, numbers and typed/time literals.
import { StreamLanguage, StringStream, type StreamParser } from "@codemirror/language";

const KEYWORDS = new Set(
  (
    "PROGRAM END_PROGRAM FUNCTION END_FUNCTION FUNCTION_BLOCK END_FUNCTION_BLOCK VAR VAR_INPUT VAR_OUTPUT " +
    "VAR_IN_OUT VAR_GLOBAL VAR_TEMP VAR_EXTERNAL END_VAR CONSTANT RETAIN IF THEN ELSIF ELSE END_IF CASE OF " +
    "END_CASE FOR TO BY DO END_FOR WHILE END_WHILE REPEAT UNTIL END_REPEAT EXIT RETURN CONTINUE TYPE END_TYPE " +
    "STRUCT END_STRUCT ARRAY METHOD END_METHOD PROPERTY END_PROPERTY INTERFACE END_INTERFACE EXTENDS IMPLEMENTS " +
    "AND OR XOR NOT MOD TRUE FALSE AT POINTER REFERENCE THIS SUPER"
  ).split(" "),
);
const TYPES = new Set(
  (
    "BOOL BYTE WORD DWORD LWORD SINT INT DINT LINT USINT UINT UDINT ULINT REAL LREAL TIME LTIME DATE " +
    "TIME_OF_DAY TOD DATE_AND_TIME DT STRING WSTRING TON TOF TP R_TRIG F_TRIG CTU CTD CTUD SR RS"
  ).split(" "),
);

interface State {
  comment: number; // nesting depth of (* *)
}

// A plain function, not a method: StreamLanguage calls `token` without a
// `this`, so the comment case recurses by name.
function token(stream: StringStream, state: State): string | null {
  if (state.comment > 0) {
    while (!stream.eol()) {
      if (stream.match("(*")) state.comment++;
      else if (stream.match("*)")) {
        state.comment--;
        if (state.comment === 0) break;
      } else stream.next();
    }
    return "comment";
  }
  if (stream.eatSpace()) return null;
  if (stream.match("(*")) {
    state.comment = 1;
    return token(stream, state);
  }
  if (stream.match("//")) {
    stream.skipToEnd();
    return "comment";
  }
  if (stream.match(/^'([^'$]|\$.)*'?/) || stream.match(/^"([^"$]|\$.)*"?/)) return "string";
  if (stream.match(/^(T|TIME|LT|LTIME|D|DATE|TOD|DT)#[0-9a-z_:.\-#]+/i)) return "number";
  if (stream.match(/^[0-9]+#[0-9a-f_]+/i) || stream.match(/^[0-9][0-9_]*(\.[0-9_]+)?(e[+-]?[0-9]+)?/i))
    return "number";
  if (stream.match(/^%[IQM][XBWDL]?[0-9.]*/i)) return "atom";
  const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/) as RegExpMatchArray | null;
  if (word) {
    const w = word[0].toUpperCase();
    if (KEYWORDS.has(w)) return "keyword";
    if (TYPES.has(w)) return "typeName";
    return "variableName";
  }
  stream.next();
  return null;
}

export const stParser: StreamParser<State> = {
  name: "structured-text",
  startState: () => ({ comment: 0 }),
  token,
};

export const structuredText = StreamLanguage.define(stParser);

/// Converts a diagnostic's 1-based line and column to an offset in `doc`.
export function offsetOf(lines: string[], line: number, column: number): number {
  let off = 0;
  for (let i = 0; i < Math.min(line - 1, lines.length); i++) off += lines[i].length + 1;
  const l = lines[line - 1] ?? "";
  return off + Math.min(Math.max(column - 1, 0), l.length);
}
