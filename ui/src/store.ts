// App-wide state: language and the model status line. A tiny observable so
// views re-render without a state library.
import { useEffect, useState } from "preact/hooks";
import { type Key, type Lang, translate } from "./i18n";

type Listener = () => void;

export class Store<T> {
  private listeners = new Set<Listener>();
  constructor(private value: T) {}
  get(): T {
    return this.value;
  }
  set(v: T) {
    this.value = v;
    this.listeners.forEach((l) => l());
  }
  update(f: (v: T) => T) {
    this.set(f(this.value));
  }
  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

export function useStore<T>(s: Store<T>): T {
  const [, force] = useState(0);
  useEffect(() => s.subscribe(() => force((n) => n + 1)), [s]);
  return s.get();
}

export const lang = new Store<Lang>("en");
export const status = new Store<{ model: string; tokensPerS: number | null; busy: boolean }>({
  model: "",
  tokensPerS: null,
  busy: false,
});

export function useT(): (k: Key) => string {
  const l = useStore(lang);
  return (k: Key) => translate(l, k);
}
