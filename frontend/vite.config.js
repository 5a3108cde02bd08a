// Multi-page build: the wall (index.html), the tablet and the analyst console.
// The binary serves dist/ at the root, so assets use absolute /assets/ paths.
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const backend = process.env.IOC_BACKEND || 'http://127.0.0.1:8090';

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2020',
    chunkSizeWarningLimit: 900,
    rollupOptions: {
      input: {
        wall: resolve(import.meta.dirname, 'index.html'),
        tablet: resolve(import.meta.dirname, 'tablet.html'),
        console: resolve(import.meta.dirname, 'console.html'),
      },
    },
  },
  server: {
    proxy: {
      '/api': backend,
      '/ws': { target: backend.replace(/^http/, 'ws'), ws: true },
    },
  },
});
