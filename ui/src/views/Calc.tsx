import { useEffect, useState } from "preact/hooks";
import { api, errorText, type Calculation, type ToolInfo } from "../api";
import { useT } from "../store";
import { ToolCard } from "./Ask";

/// The mechanism models run directly: a tool, its arguments typed with
/// their units ("400 V", "15kW"), the result with its formula and source.
export function CalcView() {
  const t = useT();
  const [tools, setTools] = useState<ToolInfo[]>([]);
  const [name, setName] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [result, setResult] = useState<Calculation | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .calcTools()
      .then((list) => {
        setTools(list ?? []);
        if (list?.length) setName(list[0].name);
      })
      .catch((e) => setError(errorText(e)));
  }, []);
  const tool = tools.find((x) => x.name === name);

  function choose(next: string) {
    setName(next);
    setValues({});
    setResult(null);
    setError(null);
  }

  async function calculate(e: Event) {
    e.preventDefault();
    setError(null);
    setResult(null);
    // Left-empty fields take the tool's defaults.
    const args = Object.entries(values).filter(([, v]) => v.trim() !== "") as [string, string][];
    try {
      setResult(await api.calcRun({ tool: name, args }));
    } catch (err) {
      setError(errorText(err));
    }
  }

  return (
    <div class="calc">
      <h2>{t("calc.title")}</h2>
      <p class="note">{t("calc.help")}</p>
      <form id="calc-form" onSubmit={calculate}>
        <label>
          {t("calc.tool")}{" "}
          <select id="calc-tool" value={name} onChange={(e) => choose((e.target as HTMLSelectElement).value)}>
            {tools.map((x) => (
              <option value={x.name}>
                {x.name} — {x.title}
              </option>
            ))}
          </select>
        </label>
        {tool && <p class="calc-description">{tool.description}</p>}
        {tool &&
          Object.entries(tool.arguments.properties).map(([arg, p]) => (
            <label class="calc-arg">
              <span>
                {arg}
                {tool.arguments.required.includes(arg) ? " *" : ""}
              </span>
              {p.enum ? (
                <select
                  name={arg}
                  value={values[arg] ?? ""}
                  onChange={(e) => setValues({ ...values, [arg]: (e.target as HTMLSelectElement).value })}
                >
                  <option value="">—</option>
                  {p.enum.map((c) => (
                    <option value={c}>{c}</option>
                  ))}
                </select>
              ) : (
                <input
                  name={arg}
                  value={values[arg] ?? ""}
                  title={p.description}
                  placeholder={p.description}
                  onInput={(e) => setValues({ ...values, [arg]: (e.target as HTMLInputElement).value })}
                />
              )}
            </label>
          ))}
        <button id="calc-run" type="submit" disabled={!tool}>
          {t("calc.run")}
        </button>
      </form>
      {error && (
        <div class="error" role="alert" id="calc-error">
          {error}
        </div>
      )}
      {result && (
        <div id="calc-result">
          <ToolCard use={{ call: { tool: result.tool, args: {} }, result, error: null }} open />
        </div>
      )}
    </div>
  );
}
