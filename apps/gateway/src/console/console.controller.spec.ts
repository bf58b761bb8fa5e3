import { NotFoundException } from '@nestjs/common';
import type { Request, Response } from 'express';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConsoleController } from './console.controller';

/** What `serve` asked Express to send: the file and its headers. */
function call(controller: ConsoleController, urlPath: string): { file?: string; headers: Record<string, string>; cache?: string } {
  const headers: Record<string, string> = {};
  const out: { file?: string; headers: Record<string, string>; cache?: string } = { headers };
  const res = {
    setHeader: (k: string, v: string) => void (headers[k] = v),
    sendFile: (file: string, opts: { headers: Record<string, string> }) => {
      out.file = file;
      out.cache = opts.headers['cache-control'];
    },
  } as unknown as Response;
  controller.serve({ path: urlPath } as Request, res);
  return out;
}

describe('ConsoleController', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'console-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers 404 naming the missing build when the console is not built', () => {
    const c = new ConsoleController(dir);
    expect(() => call(c, '/console')).toThrow(NotFoundException);
    expect(() => call(c, '/console')).toThrow(/console is not built: .*index\.html is missing/);
  });

  describe('when built', () => {
    beforeEach(() => {
      writeFileSync(path.join(dir, 'index.html'), '<div id="root"></div>');
      mkdirSync(path.join(dir, 'assets'));
      writeFileSync(path.join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
      writeFileSync(path.join(dir, '..', 'secret.txt'), 'no');
    });
    afterEach(() => rmSync(path.join(dir, '..', 'secret.txt'), { force: true }));

    it('serves index.html for /console, /console/ and app routes, never cached, with a strict CSP', () => {
      const c = new ConsoleController(dir);
      for (const p of ['/console', '/console/', '/console/devices/ABC-123', '/console/profiles/new']) {
        const r = call(c, p);
        expect(r.file).toBe(path.join(dir, 'index.html'));
        expect(r.cache).toBe('no-cache');
      }
      const r = call(c, '/console');
      expect(r.headers['content-security-policy']).toContain("script-src 'self'");
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    });

    it('serves hashed assets as immutable, and 404 for a missing asset rather than the page', () => {
      const c = new ConsoleController(dir);
      const r = call(c, '/console/assets/index-abc.js');
      expect(r.file).toBe(path.join(dir, 'assets', 'index-abc.js'));
      expect(r.cache).toContain('immutable');
      expect(() => call(c, '/console/assets/gone.js')).toThrow(/no such console file/);
      expect(() => call(c, '/console/favicon.ico')).toThrow(NotFoundException);
    });

    it('never serves a file outside its directory', () => {
      const c = new ConsoleController(dir);
      expect(() => call(c, '/console/..%2fsecret.txt')).toThrow(NotFoundException);
      expect(call(c, '/console/%2e%2e/x').file).toBe(path.join(dir, 'index.html'));
      expect(() => call(c, '/console/%E0%A4%A')).toThrow(/malformed path/);
    });
  });
});
