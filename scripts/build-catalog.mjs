// Regenerates libs/protocol/src/catalog/{payloads,commands,combine,inventory}.json from Apple's device-management
// schema (a checkout of github.com/apple/device-management; by default ../shared/apple-device-management).
//   node scripts/build-catalog.mjs [--schema <dir>] [--check]
// --check writes nothing and exits 1 when the committed JSON is stale.
// The derivation lives in derive.ts so the drift test runs the same code; it is transpiled here in
// memory (it has no value imports), which spares a monorepo build before regenerating.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { loadTypeScript } from './load-typescript.mjs';

const require = createRequire(import.meta.url);
const YAML = require('yaml');

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const catalogDir = path.join(root, 'libs/protocol/src/catalog');
const args = process.argv.slice(2);
const schemaArg = args.indexOf('--schema');
const schemaDir = schemaArg >= 0 ? path.resolve(args[schemaArg + 1]) : path.resolve(root, '../shared/apple-device-management');
const check = args.includes('--check');

function readDir(dir) {
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((name) => ({ name, doc: YAML.parse(fs.readFileSync(path.join(dir, name), 'utf8')) }));
}

if (!fs.existsSync(path.join(schemaDir, 'mdm/profiles'))) {
  console.error(`No schema at ${schemaDir} (expected mdm/profiles and mdm/commands). Pass --schema <dir>.`);
  process.exit(2);
}

const { deriveCatalogs, deriveCombineRules, deriveInventoryCatalog, formatCatalogJson } = loadTypeScript(path.join(catalogDir, 'derive.ts'));
const catalogs = deriveCatalogs({
  readme: fs.readFileSync(path.join(schemaDir, 'README.md'), 'utf8'),
  profiles: readDir(path.join(schemaDir, 'mdm/profiles')),
  commands: readDir(path.join(schemaDir, 'mdm/commands')),
});
// The combine rules (combinetype) exist only on declarative configurations.
const combine = deriveCombineRules({
  readme: fs.readFileSync(path.join(schemaDir, 'README.md'), 'utf8'),
  declarations: readDir(path.join(schemaDir, 'declarative/declarations/configurations')),
});

// The iOS DeviceInformation queries with their answer types: what a full inventory asks for.
const inventory = deriveInventoryCatalog({
  readme: fs.readFileSync(path.join(schemaDir, 'README.md'), 'utf8'),
  commands: readDir(path.join(schemaDir, 'mdm/commands')),
});

let stale = false;
for (const [name, value, count] of [
  ['payloads.json', catalogs.payloads, catalogs.payloads.payloads.length],
  ['commands.json', catalogs.commands, catalogs.commands.commands.length],
  ['combine.json', combine, combine.declarations.length],
  ['inventory.json', inventory, inventory.deviceInformation.length],
]) {
  const target = path.join(catalogDir, name);
  const text = formatCatalogJson(value);
  const current = fs.existsSync(target) ? fs.readFileSync(target, 'utf8') : '';
  if (current === text) {
    console.log(`${name}: up to date (${count} entries, ${text.length} bytes)`);
  } else if (check) {
    stale = true;
    console.error(`${name}: stale; run node scripts/build-catalog.mjs`);
  } else {
    fs.writeFileSync(target, text);
    console.log(`${name}: written (${count} entries, ${text.length} bytes)`);
  }
}
process.exit(stale ? 1 : 0);
