import { readFileSync } from "node:fs";
import { defineConfig } from "vite";
import { VitePWA } from "vite-plugin-pwa";
import { iconsPlugin } from "./scripts/icons.mjs";

const { version } = JSON.parse(readFileSync(new URL("./package.json", import.meta.url), "utf8"));
// Shown in the app's menu; a different label makes a different build (the update test relies on it).
const consoleOnly = (chunk) =>
  chunk.moduleIds.length > 0 && chunk.moduleIds.every((id) => id.includes("/src/console/") || id.includes("/uplot/"));
const BUILD_LABEL = process.env.BODEGA_BUILD_LABEL || version;

export default defineConfig({
  define: { __BUILD_LABEL__: JSON.stringify(BUILD_LABEL) },
  build: {
    target: "es2020",
    assetsInlineLimit: 0, // the scanner's WebAssembly must stay a file of its own (precached)
    modulePreload: { polyfill: false },
    reportCompressedSize: false, // scripts/size.mjs measures what counts: the shell
    rollupOptions: {
      // Two pages: the phone app, and the office's web console (desktop, online only).
      input: { index: "index.html", console: "console.html" },
      output: {
        // Chunks only the console uses are named console-*, so the phone's service worker leaves
        // them out of its precache and size.mjs counts them apart from the phone's budget.
        chunkFileNames: (chunk) => (consoleOnly(chunk) ? "assets/console-[name]-[hash].js" : "assets/[name]-[hash].js"),
      },
    },
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
        globIgnores: ["console.html", "assets/console-*"], // the office console is not for phones
        maximumFileSizeToCacheInBytes: 4 * 1024 * 1024,
      },
    }),
    {
      // The office console is not the installable phone app: no web manifest link on its page.
      name: "console-without-manifest",
      enforce: "post",
      transformIndexHtml: {
        order: "post",
        handler: (page, ctx) => (ctx.filename.endsWith("console.html") ? page.replace(/<link rel="manifest"[^>]*>/, "") : page),
      },
      generateBundle(_, bundle) {
        const page = bundle["console.html"];
        if (page && typeof page.source === "string") page.source = page.source.replace(/<link rel="manifest"[^>]*>/, "");
      },
    },
  ],
});
