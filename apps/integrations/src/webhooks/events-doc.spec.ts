import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EVENT_TYPES } from '@mdm/contracts';
import { NANOMDM_EVENT_TYPES } from '../delivery/nanomdm';

/** docs/events.md is the catalog integrators read: every event type must be documented there. */
describe('docs/events.md', () => {
  const doc = readFileSync(path.resolve(__dirname, '../../../../docs/events.md'), 'utf8');
  // A type counts as documented when it starts a row of one of the catalog tables.
  const documented = new Set([...doc.matchAll(/^\| `([a-z0-9_.]+)` \|/gm)].map((m) => m[1]));

  it.each(EVENT_TYPES)('documents %s', (type) => {
    expect(documented).toContain(type);
  });

  it('lists only catalog types', () => {
    expect([...documented].filter((t) => !(EVENT_TYPES as readonly string[]).includes(t))).toEqual([]);
  });

  it('documents the NanoMDM mapping of every type that format carries', () => {
    for (const type of NANOMDM_EVENT_TYPES) expect(doc).toContain(`\`${type}\``);
  });
});
