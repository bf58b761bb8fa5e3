import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { ADMIN_ROUTES } from './admin-routes';
import { buildOpenApi } from './openapi';

const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png']);

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MDM admin API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#ui', persistAuthorization: true });</script>
</body></html>`;

/**
 * The API description and interactive docs, served without the API key: they describe the API,
 * they don't open it (every call the docs make still needs the key).
 */
@Controller()
export class DocsController {
  private readonly document = buildOpenApi(ADMIN_ROUTES, '1');
  private readonly assets = getAbsoluteFSPath();

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }

  @Get('docs')
  @Header('content-type', 'text/html; charset=utf-8')
  page(): string {
    return PAGE;
  }

  @Get('docs/assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (!ASSETS.has(file)) throw new NotFoundException(`no such asset: ${file}`);
    res.type(path.extname(file)).send(readFileSync(path.join(this.assets, file)));
  }
}
