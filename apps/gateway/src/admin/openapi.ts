import { z } from 'zod';
import type { AdminRoute } from './admin-routes';

type Json = Record<string, unknown>;

const ERROR = {
  description: 'A refusal: `{ statusCode, message }`, the message naming what is wrong',
  content: { 'application/json': { schema: { type: 'object', properties: { statusCode: { type: 'integer' }, message: { type: 'string' } } } } },
};

/** The OpenAPI 3.1 document of the admin API, generated from the route table and the request schemas. */
export function buildOpenApi(routes: readonly AdminRoute[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    const params = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const query = (r.query ?? []).map((name) => ({ name, in: 'query', required: false, schema: { type: 'string' } }));
    const operation: Json = {
      tags: [r.tag],
      summary: r.summary,
      description: r.scope === 'admin' ? 'Needs an API key with the `admin` scope.' : `Needs an API key with the \`${r.scope}\` scope (or \`admin\`).`,
      'x-scope': r.scope,
      parameters: [...params, ...query],
      responses: {
        [String(r.ok)]: r.produces
          ? { description: 'The file', content: { [r.produces]: { schema: { type: 'string', format: 'binary' } } } }
          : { description: r.ok === 204 ? 'Done, no content' : 'Success', ...(r.ok === 204 ? {} : { content: { 'application/json': { schema: { type: 'object' } } } }) },
        '400': ERROR,
        '401': ERROR,
        '403': { ...ERROR, description: 'The key lacks the scope this operation needs (`x-scope`); the message names it' },
        ...(params.length ? { '404': ERROR } : {}),
      },
    };
    if (r.body) {
      // Input shapes: defaults are optional for the caller, transforms are the server's business.
      operation['requestBody'] = {
        required: true,
        content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } },
      };
    }
    (paths[r.path] ??= {})[r.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'MDM server admin API',
      version,
      description:
        'Operators and integrations drive the MDM server through this API. Every call needs `Authorization: Bearer <key>`: ' +
        'an API key made with `POST /v1/api-keys`, or the bootstrap key `MDM_API_KEY`. Each operation names the scope it needs ' +
        '(`x-scope`): `read` (GETs, but listing API keys takes `admin`), `commands`, `profiles` or `admin`, which implies all the others.',
    },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key (`mdm_<id>_<secret>`) or MDM_API_KEY' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
