import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const central = process.env.CENTRAL_URL ?? 'http://127.0.0.1:9019';

export default defineConfig({
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: {
    proxy: {
      '/central': central,
      '/streamer/api': central,
      '/ui/api': central,
    },
  },
});
