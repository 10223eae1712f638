import { readFileSync } from "node:fs";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import { iconsPlugin } from "./scripts/icons.mjs";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
// Shown in the app's menu; a different label makes a different build (the update test relies on it).
const BUILD_LABEL = process.env.BODEGA_BUILD_LABEL || version;

export default defineConfig({
  define: { __BUILD_LABEL__: JSON.stringify(BUILD_LABEL) },
  build: {
    target: "es2020",
    assetsInlineLimit: 0, // the scanner's WebAssembly must stay a file of its own (precached)
    modulePreload: { polyfill: false },
    reportCompressedSize: false, // scripts/size.mjs measures what counts: the shell
  },
  server: { proxy: { "/api": "http://127.0.0.1:8000", "/sync": "http://127.0.0.1:8000" } },
  plugins: [
    iconsPlugin(),
    VitePWA({
      strategies: "injectManifest",
      srcDir: "src",
      filename: "sw.js",
      registerType: "prompt", // an update never reloads a half-filled form: the user says when
      injectRegister: false, // src/ui/update.js registers it
      manifestFilename: "manifest.webmanifest",
      includeAssets: [],
      manifest: {
        id: "/",
        name: "Bodega — warehouse at rider app",
        short_name: "Bodega",
        description: "Receiving, cycle counts and deliveries, online or offline.",
        lang: "en-PH",
        start_url: "/",
        scope: "/",
        display: "standalone",
        orientation: "portrait",
        theme_color: "#0d3b2e",
        background_color: "#0d3b2e",
        categories: ["business", "productivity"],
        icons: [
          { src: "/icons/icon-192.png", sizes: "192x192", type: "image/png", purpose: "any" },
          { src: "/icons/icon-512.png", sizes: "512x512", type: "image/png", purpose: "any" },
          { src: "/icons/maskable-192.png", sizes: "192x192", type: "image/png", purpose: "maskable" },
          { src: "/icons/maskable-512.png", sizes: "512x512", type: "image/png", purpose: "maskable" },
        ],
      },
      injectManifest: {
        // The scanner's WebAssembly (~1 MB) is precached too: scanning must work offline.
        globPatterns: ["**/*.{js,css,html,wasm,png,webmanifest}"],
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
      },
    }),
  ],
});
