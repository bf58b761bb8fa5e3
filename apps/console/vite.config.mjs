// Builds the operator console into dist/apps/console/public, where the gateway serves it at /console.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/console/',
  // The same aliases as tsconfig.json's paths; contracts are imported for types only.
  resolve: {
    alias: {
      '@mdm/catalog': fileURLToPath(new URL('../../libs/protocol/src/catalog', import.meta.url)),
      '@mdm/contracts': fileURLToPath(new URL('../../libs/contracts/src/index.ts', import.meta.url)),
    },
  },
  // React's automatic JSX runtime without @vitejs/plugin-react: no fast refresh needed for a built bundle.
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/apps/console/public', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  logLevel: 'warn',
});
