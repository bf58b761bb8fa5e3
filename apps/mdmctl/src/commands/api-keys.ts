import { API_KEY_SCOPES, type ApiKeyView, type CreatedApiKey } from '@mdm/contracts';
import { type Command, command, Exit, printJson, UsageError } from '../command';
import { printList, printResource, report } from '../list';
import { LIST_OPTIONS, LIST_USAGE, type ListParams, listParams, many, onePositional, required, str, yesNo } from '../options';

const keyPath = (id: string): string => `/v1/api-keys/${encodeURIComponent(id)}`;

/** `active`, `revoked` or `expired`, as a person asks "does this key still work?". */
export function keyState(k: Pick<ApiKeyView, 'revokedAt' | 'expiresAt'>, now = Date.now()): string {
  if (k.revokedAt) return 'revoked';
  if (k.expiresAt && Date.parse(k.expiresAt) <= now) return 'expired';
  return 'active';
}

export const apiKeyCommands: readonly Command[] = [
  command<{ name: string; scopes: string[]; expiresAt?: string }>({
    name: 'api-keys create',
    usage: `mdmctl api-keys create --name N --scope ${API_KEY_SCOPES.join('|')} [--scope ...] [--expires ISO]`,
    summary: 'Create an API key with only the scopes it needs; its secret is printed this once (stored only as a hash)',
    options: { name: { type: 'string' }, scope: { type: 'string', short: 's', multiple: true }, expires: { type: 'string' } },
    parse: (v) => {
      const scopes = many(v, 'scope');
      if (!scopes.length) throw new UsageError(`name at least one --scope (${API_KEY_SCOPES.join(', ')})`);
      return { name: required(v, 'name'), scopes, ...(str(v, 'expires') ? { expiresAt: str(v, 'expires') } : {}) };
    },
    run: async (ctx, body) => {
      const key = await ctx.api.json<CreatedApiKey>('POST', '/v1/api-keys', body);
      if (ctx.global.json) printJson(ctx, key);
      else {
        ctx.io.stdout(`created API key ${key.name} (${key.id}) with scopes ${key.scopes.join(', ')}${key.expiresAt ? `, expiring ${key.expiresAt}` : ''}\n`);
        ctx.io.stdout(`secret: ${key.secret}\n`);
        ctx.io.stderr('mdmctl: the secret is shown this once; store it now\n');
      }
      return Exit.Ok;
    },
  }),
  command<ListParams>({
    name: 'api-keys list',
    usage: `mdmctl api-keys list [--revoked | --active] ${LIST_USAGE}`,
    summary: 'API keys, revoked ones included (never their secrets)',
    options: { revoked: { type: 'boolean' }, active: { type: 'boolean' }, ...LIST_OPTIONS },
    parse: (v) => {
      const p = listParams(v);
      yesNo(v, p.query, [['revoked', 'active', 'revoked']]);
      return p;
    },
    run: (ctx, p) =>
      printList<ApiKeyView>(
        ctx,
        '/v1/api-keys',
        'keys',
        p,
        [
          { header: 'ID', value: (k) => k.id },
          { header: 'NAME', value: (k) => k.name },
          { header: 'SCOPES', value: (k) => k.scopes.join(',') },
          { header: 'STATE', value: (k) => keyState(k) },
          { header: 'EXPIRES', value: (k) => k.expiresAt },
          { header: 'LAST USED', value: (k) => k.lastUsedAt },
        ],
        'API keys',
      ),
  }),
  command<string>({
    name: 'api-keys get',
    usage: 'mdmctl api-keys get <id>',
    summary: 'One API key (never its secret)',
    ...onePositional('id'),
    run: (ctx, id) => printResource(ctx, keyPath(id)),
  }),
  command<string>({
    name: 'api-keys revoke',
    usage: 'mdmctl api-keys revoke <id>',
    summary: 'Revoke an API key: it stops working at once (within seconds on other gateways); the record stays',
    ...onePositional('id'),
    run: async (ctx, id) => report(ctx, await ctx.api.json<ApiKeyView>('DELETE', keyPath(id)), (k) => `revoked API key ${k.name} (${k.id})`),
  }),
];
