// Vite builds the admin UI into dist/, which `xrm serve --ui-dir` serves at `/`. In dev mode
// (`npm run dev`) API calls go to a running xrm (XRM_URL, default http://127.0.0.1:8080).
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: { '/api': process.env.XRM_URL ?? 'http://127.0.0.1:8080' },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
