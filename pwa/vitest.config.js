import { defineConfig } from "vitest/config";

// Unit tests run in Node with an in-memory IndexedDB (fake-indexeddb); the browser itself is
// exercised by the Playwright tests in tests/test_pwa_*.py.
export default defineConfig({
  test: {
    environment: "node",
    setupFiles: ["fake-indexeddb/auto"],
    include: ["test/**/*.test.js"],
    testTimeout: 30_000,
  },
});
