// The check-in bench's baseline: a bare node:http server doing only the irreducible work of a connect, in its own
// process. Per request: parse the plist (@mdm/protocol's parser), verify the detached CMS signature and the chain to
// the device CA (@mdm/pki, with the same per-fingerprint chain cache the gateway's TrustStore has), one indexed read
// (the device by UDID: is this certificate the one bound to it?) and one write (its last_seen_at). Answers 200 with
// an empty body (no command), 401 when authentication fails.
//
// Env: DATABASE_URL, BASELINE_CA_FILE (PEM), BASELINE_POOL_SIZE (default 10, as the services' DB_POOL_SIZE).
// Prints one JSON line { port } on stdout once listening.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
// @peculiar/x509 (inside @mdm/pki) needs the Reflect metadata polyfill loaded first, as the services' entrypoints do.
require('reflect-metadata');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { fingerprintSha256, TrustStore, verifyDetachedSignature } = require(path.join(ROOT, 'dist/libs/pki/src/index.js'));
const { parseReport } = require(path.join(ROOT, 'dist/libs/protocol/src/index.js'));
const { Pool } = require('pg');

const trust = TrustStore.fromPem(readFileSync(process.env.BASELINE_CA_FILE, 'utf8'));
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.BASELINE_POOL_SIZE ?? 10) });

async function handle(body, signature) {
  const report = parseReport(body);
  const { signer } = await verifyDetachedSignature(signature, body);
  trust.verify(signer);
  const fingerprint = fingerprintSha256(signer);
  const { rows } = await pool.query('SELECT id, enrolled, cert_fingerprint FROM devices WHERE udid = $1', [report.udid]);
  const device = rows[0];
  if (!device || device.cert_fingerprint !== fingerprint || !device.enrolled) return 401;
  await pool.query('UPDATE devices SET last_seen_at = now() WHERE id = $1', [device.id]);
  return 200;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const signature = req.headers['mdm-signature'];
    handle(Buffer.concat(chunks), typeof signature === 'string' ? signature : '').then(
      (status) => {
        res.writeHead(status, { 'content-length': 0 });
        res.end();
      },
      (err) => {
        const text = err instanceof Error ? err.message : String(err);
        res.writeHead(/signature|certificate|CMS|base64|trusted/i.test(text) ? 401 : 400, { 'content-type': 'text/plain' });
        res.end(text);
      },
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void pool.end().then(() => process.exit(0));
});
