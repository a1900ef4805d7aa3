import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The app loads only its own files: no CDN, no remote fonts (the CSP forbids them).
export default defineConfig({
  plugins: [preact()],
  clearScreen: false,
  build: { target: "safari15", outDir: "dist", emptyOutDir: true, sourcemap: false },
  test: { environment: "jsdom" },
});
