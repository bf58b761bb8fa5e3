import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import type { Response } from 'express';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import { ADMIN_ROUTES } from './admin-routes';
import { Public, RequiredScope } from './api-key.guard';
import { buildOpenApi } from './openapi';

const ASSETS = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'swagger-ui-standalone-preset.js', 'favicon-32x32.png']);

/**
 * The docs page holds nothing but a form: it asks for the API key (kept in sessionStorage, gone with
 * the tab), fetches /openapi.json with it, and gives it to Swagger UI for every call made from the page.
 */
const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>MDM admin API</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<style>#key{font-family:sans-serif;max-width:32rem;margin:3rem auto}#key input{width:100%;padding:.4rem;margin:.4rem 0}#key output{display:block;color:#b00;margin-top:.5rem}#signout{float:right;margin:.5rem}</style></head>
<body>
<form id="key" hidden>
  <h1>MDM admin API</h1>
  <label for="apikey">API key (one with the <code>read</code> scope): the API description is served only with it</label>
  <input id="apikey" name="apikey" type="password" autocomplete="off" required>
  <button type="submit">Show the API</button>
  <output id="error"></output>
</form>
<button id="signout" type="button" hidden>Forget the key</button>
<div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
(function () {
  var STORE = 'mdm.docs.apiKey';
  var form = document.getElementById('key');
  var error = document.getElementById('error');
  var signout = document.getElementById('signout');
  function ask(message) {
    sessionStorage.removeItem(STORE);
    document.getElementById('ui').innerHTML = '';
    signout.hidden = true;
    error.textContent = message || '';
    form.hidden = false;
    document.getElementById('apikey').focus();
  }
  function show(key) {
    fetch('/openapi.json', { headers: { Authorization: 'Bearer ' + key } })
      .then(function (res) {
        return res.text().then(function (text) {
          var body = null;
          try { body = JSON.parse(text); } catch (e) { /* not JSON: the status says enough */ }
          if (!res.ok || !body) throw new Error(res.status + ': ' + (body && body.message ? body.message : res.statusText));
          return body;
        });
      })
      .then(function (spec) {
        sessionStorage.setItem(STORE, key);
        form.hidden = true;
        signout.hidden = false;
        window.ui = SwaggerUIBundle({
          spec: spec,
          dom_id: '#ui',
          requestInterceptor: function (req) {
            req.headers.Authorization = 'Bearer ' + key;
            return req;
          },
        });
      })
      .catch(function (err) { ask(err.message); });
  }
  form.addEventListener('submit', function (e) {
    e.preventDefault();
    show(document.getElementById('apikey').value.trim());
  });
  signout.addEventListener('click', function () { ask(); });
  var saved = sessionStorage.getItem(STORE);
  if (saved) show(saved); else ask();
})();
</script>
</body></html>`;

/**
 * The API description needs a key with the `read` scope, like the API it describes. The docs page and
 * Swagger UI's files are a static shell without it: a browser cannot send a bearer token when it
 * navigates, so the page asks for the key and fetches the description with it.
 */
@Controller()
export class DocsController {
  private readonly document = buildOpenApi(ADMIN_ROUTES, '1');
  private readonly assets = getAbsoluteFSPath();

  @Get('openapi.json')
  @RequiredScope('read')
  openapi(): Record<string, unknown> {
    return this.document;
  }

  @Get('docs')
  @Public('a static page holding no data: it asks for the key and fetches /openapi.json with it')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-cache')
  page(): string {
    return PAGE;
  }

  @Get('docs/assets/:file')
  @Public('the files of Swagger UI (swagger-ui-dist)')
  asset(@Param('file') file: string, @Res() res: Response): void {
    if (!ASSETS.has(file)) throw new NotFoundException(`no such asset: ${file}`);
    res.type(path.extname(file)).send(readFileSync(path.join(this.assets, file)));
  }
}
