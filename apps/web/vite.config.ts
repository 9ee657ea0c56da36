// Vite build and dev-server config for the Homeport SPA; `homeport start` serves dist/ at `/`.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dev server forwards API calls to a locally running `homeport start`, so cookies stay
// same-origin exactly as they are when the server serves the built files itself.
const backend = 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      // Keep the browser's Host header: the server's same-origin check compares Origin with it.
      '/api': { target: backend, changeOrigin: false },
      '/health': backend,
      '/version': backend,
    },
  },
});
