import { Controller, Get, Inject, NotFoundException, Optional, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Public } from '../admin/api-key.guard';

/** Where `npm run build` puts the console (vite build of apps/console), next to this compiled gateway. */
export const CONSOLE_DIR = Symbol('CONSOLE_DIR');
const DEFAULT_DIR = path.resolve(__dirname, '../../../console/public');

/**
 * The operator console: a single-page app that talks only to /v1 with the operator's key. Static
 * files need no key (they hold no data); hashed assets are cached for good, index.html never, and
 * every other path under /console answers index.html so the app's own routes survive a reload.
 */
@Controller()
@Public('a static shell without data: a browser cannot send a bearer token when it navigates, and every call the app makes needs the key')
export class ConsoleController {
  private readonly root: string;

  constructor(@Optional() @Inject(CONSOLE_DIR) dir?: string) {
    this.root = path.resolve(dir ?? DEFAULT_DIR);
  }

  @Get(['console', 'console/{*path}'])
  serve(@Req() req: Request, @Res() res: Response): void {
    const index = path.join(this.root, 'index.html');
    if (!existsSync(index)) {
      throw new NotFoundException(`the console is not built: ${index} is missing (npm run build builds it)`);
    }
    // The app is served under /console/ (vite base); /console alone would resolve its relative links wrongly.
    const rel = decodeSafe(req.path.replace(/^\/console\/?/, ''));
    if (rel === undefined) throw new NotFoundException('malformed path');
    const file = path.resolve(this.root, rel);
    const inside = file === this.root || file.startsWith(this.root + path.sep);
    setSecurityHeaders(res);
    if (inside && rel !== '' && isFile(file)) {
      const immutable = rel.startsWith('assets/');
      res.sendFile(file, { headers: { 'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache' }, dotfiles: 'deny' });
      return;
    }
    // A missing asset is a 404, not the page: a browser would try to run HTML as a script.
    if (rel.startsWith('assets/') || path.extname(rel) !== '') throw new NotFoundException(`no such console file: ${rel}`);
    res.sendFile(index, { headers: { 'cache-control': 'no-cache' } });
  }
}

function decodeSafe(p: string): string | undefined {
  try {
    const d = decodeURIComponent(p);
    return d.includes('\0') ? undefined : d;
  } catch {
    return undefined;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function setSecurityHeaders(res: Response): void {
  // The bundle and its styles are files of this origin; the QR code is a data: image; the API is same-origin.
  res.setHeader('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
}
