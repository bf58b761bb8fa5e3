import type { DeviceInventoryView, InventoryHistoryView, InventoryRefreshView } from '@mdm/contracts';
import { type Command, command, type Context } from '../command';
import { table } from '../format';
import { flag } from '../options';

/** `devices inventory` and `devices refresh`: a device's full inventory, its changes, and a refresh now. */
type InventoryCommand = { name: 'devices inventory'; udid: string; history: boolean } | { name: 'devices refresh'; udid: string };

export const inventoryCommands: readonly Command[] = [
  command<InventoryCommand>({
    name: 'devices inventory',
    usage: 'mdmctl devices inventory <udid> [--history]',
    summary: "A device's full inventory by group (DeviceInformation, SecurityInfo, certificates); --history: what changed",
    options: { history: { type: 'boolean' } },
    positionals: ['udid'],
    parse: (v, [udid]) => ({ name: 'devices inventory', udid: udid!, history: flag(v, 'history') }),
    run: (ctx, p) => runInventoryCommand(ctx, p),
  }),
  command<InventoryCommand>({
    name: 'devices refresh',
    usage: 'mdmctl devices refresh <udid>',
    summary: 'Ask a device for its full inventory now (not twice while one is still open)',
    positionals: ['udid'],
    parse: (_v, [udid]) => ({ name: 'devices refresh', udid: udid! }),
    run: (ctx, p) => runInventoryCommand(ctx, p),
  }),
];

function show(value: unknown): string {
  if (value === null || value === undefined) return '-';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

async function runInventoryCommand(ctx: Context, command: InventoryCommand): Promise<number> {
  const { api } = ctx;
  const json = ctx.global.json;
  const out = (text: string): void => ctx.io.stdout(text);
  const base = `/v1/devices/${encodeURIComponent(command.udid)}`;
  if (command.name === 'devices refresh') {
    const res = await api.json<InventoryRefreshView>('POST', `${base}/inventory/refresh`);
    if (json) out(`${JSON.stringify(res, null, 2)}\n`);
    else if (res.queued.length) out(`inventory refresh queued for ${command.udid} (commands ${res.commandUuids.join(', ')})\n`);
    else out(`not queued: ${res.skipped.map((s) => s.reason).join(', ')}\n`);
    return 0;
  }
  if (command.history) {
    const page = await api.json<InventoryHistoryView>('GET', `${base}/inventory/history?limit=1000`);
    if (json) out(`${JSON.stringify(page, null, 2)}\n`);
    else if (!page.changes.length) out('no inventory changes recorded\n');
    else {
      const rows = table(page.changes, [
        { header: 'WHEN', value: (c) => c.changedAt },
        { header: 'FIELD', value: (c) => c.field },
        { header: 'WAS', value: (c) => show(c.oldValue) },
        { header: 'NOW', value: (c) => show(c.newValue) },
      ]);
      out(`${rows}\n${page.next ? `(older changes: GET ${base}/inventory/history?before=${page.next})\n` : ''}`);
    }
    return 0;
  }
  const inv = await api.json<DeviceInventoryView>('GET', `${base}/inventory`);
  if (json) {
    out(`${JSON.stringify(inv, null, 2)}\n`);
    return 0;
  }
  if (!inv.deviceInformation.length) out('the device has not answered an inventory yet\n');
  const groups = [...new Set(inv.deviceInformation.map((i) => i.group))];
  for (const group of groups) {
    out(`[${group}]\n${table(inv.deviceInformation.filter((i) => i.group === group), [{ header: 'QUERY', value: (i) => i.query }, { header: 'VALUE', value: (i) => show(i.value) }])}\n\n`);
  }
  if (inv.securityInfo) out(`[security info]\n${table(Object.entries(inv.securityInfo), [{ header: 'KEY', value: ([k]) => k }, { header: 'VALUE', value: ([, v]) => show(v) }])}\n\n`);
  if (inv.certificates) {
    out(inv.certificates.length
      ? `[certificates]\n${table(inv.certificates, [
          { header: 'NAME', value: (c) => c.commonName },
          { header: 'ISSUER', value: (c) => c.issuer },
          { header: 'EXPIRES', value: (c) => c.notAfter },
          { header: 'IDENTITY', value: (c) => (c.isIdentity ? 'yes' : 'no') },
        ])}\n`
      : '[certificates]\nnone\n');
  }
  out(`refresh: last asked ${inv.refreshRequestedAt ?? 'never'} (${inv.refreshSource ?? '-'})${inv.refreshOpen ? ', one still open' : ''}\n`);
  return 0;
}
