// A run's timing diagram (the simulator's `Diagram`): one lane per signal,
// BOOL as steps, numbers and TIME (ms) as held values, drawn with uPlot
// (canvas, fast on 100,000 samples). The lanes share one cursor: moving it
// over any lane reads every signal's value at that cycle. Marks (a failing
// step, a fault) are red lines across every lane. uPlot is loaded when a
// diagram is first shown (it reads the display at load, and most pages
// never show one).
import { useEffect, useRef } from "preact/hooks";
import type uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Diagram, DiagramSignal } from "../api";
import { useT } from "../store";

/// The shared time axis (ms) and each signal's value held at every point
/// where any signal changes, as uPlot wants its data.
export function lanesData(d: Diagram): { x: number[]; ys: number[][] } {
  const cycles = new Set<number>();
  for (const s of d.signals) for (const [c] of s.changes) cycles.add(c);
  cycles.add(Math.max(d.cycles - 1, 0));
  const order = [...cycles].sort((a, b) => a - b);
  const ys = d.signals.map((s) => held(s, order));
  return { x: order.map((c) => timeMs(d, c)), ys };
}

/// When `cycle` ran, in ms, from the diagram's clock (the points where the
/// cycle time changes).
export function timeMs(d: Diagram, cycle: number): number {
  let pace = d.clock[0];
  for (const p of d.clock) {
    if (p.cycle > cycle) break;
    pace = p;
  }
  return pace ? pace.time_ms + (cycle - pace.cycle) * pace.cycle_ms : 0;
}

/// The same data drawn as steps by a straight-line path: each point after
/// the first repeated at its time with the value before it, so the line
/// holds a value until the next change and then rises or falls at once.
export function stepped({ x, ys }: { x: number[]; ys: number[][] }): { x: number[]; ys: number[][] } {
  const sx: number[] = [];
  const sys: number[][] = ys.map(() => []);
  x.forEach((t, i) => {
    if (i > 0) {
      sx.push(t);
      ys.forEach((y, k) => sys[k].push(y[i - 1]));
    }
    sx.push(t);
    ys.forEach((y, k) => sys[k].push(y[i]));
  });
  return { x: sx, ys: sys };
}

function held(s: DiagramSignal, cycles: number[]): number[] {
  const out: number[] = [];
  let i = 0;
  let v = NaN;
  for (const c of cycles) {
    while (i < s.changes.length && s.changes[i][0] <= c) v = s.changes[i++][1];
    out.push(v);
  }
  return out;
}

let loading: Promise<typeof uPlot> | null = null;

/// uPlot, loaded once, when the first diagram is shown (it reads the display
/// as it loads, and most pages never show a diagram). It also builds a number
/// format for `navigator.language` as it loads, and WebKit reports the POSIX
/// locale there (`C` under LANG=C), which Intl refuses: uPlot then never
/// finishes loading. Such a locale is replaced by English for it.
function loadUplot(): Promise<typeof uPlot> {
  try {
    new Intl.NumberFormat(navigator.language);
  } catch {
    Object.defineProperty(navigator, "language", { value: "en-US", configurable: true });
  }
  loading ??= import("uplot").then(
    (m) => m.default,
    (e) => {
      // A failed load is not kept: the next diagram tries again.
      loading = null;
      throw e;
    },
  );
  return loading;
}

export function TimingDiagram({ diagram }: { diagram: Diagram }) {
  const t = useT();
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el || diagram.signals.length === 0) return;
    const plots: uPlot[] = [];
    let gone = false;
    loadUplot()
      .then((UPlot) => {
        if (!gone) draw(UPlot, el, plots);
      })
      .catch((e) => {
        el.textContent = `${t("diagram.unavailable")}: ${e}`;
      });
    return () => {
      gone = true;
      for (const p of plots) p.destroy();
    };
  }, [diagram, t]);

  function draw(UPlot: typeof uPlot, el: HTMLDivElement, plots: uPlot[]) {
    const { x, ys } = stepped(lanesData(diagram));
    const width = Math.max(el.clientWidth, 480);
    const key = `diagram-${Math.random()}`;
    const marks = diagram.marks.map((m) => timeMs(diagram, m.cycle));
    try {
      diagram.signals.forEach((s, i) => {
        const last = i === diagram.signals.length - 1;
        const opts: uPlot.Options = {
          width,
          height: last ? 90 : 64,
          cursor: { sync: { key }, y: false },
          legend: { show: true, live: true },
          scales: { x: { time: false }, y: s.kind === "bool" ? { range: [-0.2, 1.2] } : {} },
          axes: [
            { show: last, label: last ? t("diagram.time_ms") : undefined, size: last ? 40 : 0 },
            { size: 60, splits: s.kind === "bool" ? [0, 1] : undefined },
          ],
          series: [
            { label: t("diagram.time_ms") },
            {
              label: s.kind === "time" ? `${s.name} (ms)` : s.name,
              stroke: s.kind === "bool" ? "#145ac8" : "#148c50",
              width: 2,
            },
          ],
          hooks: {
            draw: [
              (u) => {
                const ctx = u.ctx;
                ctx.save();
                ctx.strokeStyle = "#e00";
                ctx.lineWidth = 2;
                for (const m of marks) {
                  const px = u.valToPos(m, "x", true);
                  ctx.beginPath();
                  ctx.moveTo(px, u.bbox.top);
                  ctx.lineTo(px, u.bbox.top + u.bbox.height);
                  ctx.stroke();
                }
                ctx.restore();
              },
            ],
          },
        };
        plots.push(new UPlot(opts, [x, ys[i]], el));
      });
    } catch (e) {
      // A webview without a 2D canvas: say so rather than break the page.
      el.textContent = `${t("diagram.unavailable")}: ${e}`;
    }
  }

  return (
    <figure class="timing-diagram">
      <div ref={host} class="lanes" />
      <figcaption>
        {diagram.marks.map((m) => (
          <span class="mark">
            {t("diagram.cycle")} {m.cycle + 1}: {m.label}
          </span>
        ))}
        {diagram.left_out.length > 0 && (
          <span>
            {t("diagram.left_out")}: {diagram.left_out.join(", ")}
          </span>
        )}
        {diagram.truncated && <span>{t("diagram.truncated")}</span>}
      </figcaption>
    </figure>
  );
}
