// NanoMDM as the peer to compare with: its binary, schema and docs stay in ../shared/peers/nanomdm (read at run
// time, never copied). It pushes to the hard-coded api.push.apple.com:443, so it runs in a mount namespace of its
// own whose /etc/hosts names 127.0.0.1 for that host, trusting the fake's CA through SSL_CERT_FILE.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createBenchDatabase, freePort, log, sleep, withPg } from '../lib/common.mjs';

export const APPLE_PUSH_HOST = 'api.push.apple.com';

/** The peer's directory beside the repository, or undefined when this machine has none. */
export function findNanomdm(root) {
  const dir = path.resolve(root, '../shared/peers/nanomdm');
  return existsSync(path.join(dir, 'nanomdm')) && existsSync(path.join(dir, 'schema.sql')) ? dir : undefined;
}

/**
 * Creates database `db` with NanoMDM's own schema, seeds `devices` (as Authenticate and TokenUpdate leave them,
 * with the certificate association its connect check reads), starts it and uploads the fake's push certificate.
 */
export async function startNanomdm({ dir, adminUrl, db, deviceCaFile, fake, devices, topic }) {
  const databaseUrl = await withPg(adminUrl, (admin) => createBenchDatabase(admin, adminUrl, db));
  let child;
  const stop = async () => {
    if (child && child.exitCode === null) await new Promise((r) => (child.once('exit', r), child.kill('SIGTERM')));
    await withPg(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)).catch((e) => log(`drop ${db}: ${e.message}`));
  };
  try {
    const t0 = performance.now();
    await withPg(databaseUrl, async (pg) => {
      await pg.query(readFileSync(path.join(dir, 'schema.sql'), 'utf8'));
      await seedNanomdm(pg, devices, topic);
    });
    log(`NanoMDM: schema and ${devices.length} enrolled devices in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const scratch = mkdtempSync(path.join(tmpdir(), 'bench-nanomdm-'));
    const hosts = path.join(scratch, 'hosts');
    writeFileSync(hosts, `127.0.0.1 localhost\n127.0.0.1 ${APPLE_PUSH_HOST}\n::1 localhost\n`);
    const port = await freePort();
    const apiKey = randomBytes(18).toString('base64url');
    const dsn = new URL(databaseUrl);
    dsn.searchParams.set('sslmode', 'disable');
    const args = ['-storage', 'pgsql', '-storage-dsn', dsn.toString(), '-api', apiKey, '-ca', deviceCaFile, '-listen', `127.0.0.1:${port}`];
    // `mount --bind` inside `unshare -m` changes /etc/hosts for this process tree only; the machine's stays as it is.
    child = spawn('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /etc/hosts && exec "$@"', hosts, path.join(dir, 'nanomdm'), ...args], {
      env: { ...process.env, SSL_CERT_FILE: fake.caPemFile },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const stderr = [];
    child.stderr.on('data', (c) => stderr.push(c.toString()));
    const url = `http://127.0.0.1:${port}`;
    const auth = `Basic ${Buffer.from(`nanomdm:${apiKey}`).toString('base64')}`;
    const api = async (method, p, body) => {
      const res = await fetch(`${url}${p}`, { method, headers: { authorization: auth }, body });
      return { status: res.status, text: await res.text() };
    };
    for (let i = 0; ; i++) {
      const up = await api('GET', '/version').catch(() => undefined);
      if (up?.status === 200) break;
      if (child.exitCode !== null || i > 100) throw new Error(`NanoMDM did not start: ${stderr.join('').slice(-500)}`);
      await sleep(100);
    }
    const cert = await api('PUT', '/v1/pushcert', fake.certPem + fake.keyPem);
    if (cert.status !== 200 || !cert.text.includes(topic)) throw new Error(`NanoMDM push certificate upload: ${cert.status} ${cert.text}`);
    return { db, databaseUrl, url, pid: child.pid, api, stderr: () => stderr.join('').slice(-2000), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Three set-based statements: devices, their enrollments and their certificate associations. */
async function seedNanomdm(pg, devices, topic) {
  const col = (f) => devices.map(f);
  const message = (type, extra) =>
    `'<?xml version="1.0" encoding="UTF-8"?><plist version="1.0"><dict><key>MessageType</key><string>${type}</string>` +
    `<key>Topic</key><string>' || $1 || '</string><key>UDID</key><string>' || u || '</string>${extra}</dict></plist>'`;
  await pg.query(
    `INSERT INTO devices (id, identity_cert, authenticate, authenticate_at, token_update, token_update_at)
     SELECT u, c, ${message('Authenticate', '')}, now(),
            ${message('TokenUpdate', "<key>PushMagic</key><string>' || m || '</string><key>Token</key><data>' || encode(decode(t, 'hex'), 'base64') || '</data>")}, now()
       FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS x(u, c, t, m)`,
    [topic, col((d) => d.udid), col((d) => d.certPem), col((d) => d.token), col((d) => d.magic)],
  );
  await pg.query(
    `INSERT INTO enrollments (id, device_id, type, topic, push_magic, token_hex, last_seen_at)
     SELECT u, u, 'Device', $1, m, t, now() FROM unnest($2::text[], $3::text[], $4::text[]) AS x(u, t, m)`,
    [topic, col((d) => d.udid), col((d) => d.token), col((d) => d.magic)],
  );
  await pg.query(`INSERT INTO cert_auth_associations (id, sha256) SELECT * FROM unnest($1::text[], $2::text[])`, [
    col((d) => d.udid),
    col((d) => d.fingerprint),
  ]);
  await pg.query('ANALYZE');
}
