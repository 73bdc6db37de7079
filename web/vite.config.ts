import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The dev server passes the API through to a running gateway (`npm start`), so the console keeps one origin there too.
const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:4000';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist/site', emptyOutDir: true },
  server: {
    proxy: Object.fromEntries(['/graphql', '/files', '/uploads', '/dev'].map((path) => [path, gateway])),
  },
});
