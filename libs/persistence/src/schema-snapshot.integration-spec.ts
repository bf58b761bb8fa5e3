import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');

describe('libs/persistence/schema.sql', () => {
  it('is what the migrations build today', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mdm-schema-'));
    try {
      const fresh = join(dir, 'schema.sql');
      const run = spawnSync(process.execPath, [join(root, 'scripts/schema-snapshot.mjs'), '--out', fresh], { encoding: 'utf8', env: process.env });
      if (run.status !== 0) throw new Error(`scripts/schema-snapshot.mjs failed: ${run.stderr || run.stdout}`);
      const committed = readFileSync(join(root, 'libs/persistence/schema.sql'), 'utf8');
      if (readFileSync(fresh, 'utf8') !== committed) throw new Error('schema.sql is stale: run npm run schema');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
