// Device identities for the benchmarks: a device CA and one certificate per device, as SCEP would issue them, kept
// in the temp directory between runs (issuing 100,000 certificates takes minutes on a busy 2-core machine).
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { log } from './common.mjs';

const require = createRequire(import.meta.url);
// @peculiar/x509 (inside @mdm/pki) needs the Reflect metadata polyfill loaded first, as the services' entrypoints do.
require('reflect-metadata');
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const pki = require(path.join(ROOT, 'dist/libs/pki/src/index.js'));

export const udidOf = (i) => `BENCH-${String(i).padStart(8, '0')}`;

/** Where identities for `n` devices sharing `keys` key pairs are cached (the check-in bench's file name, shared). */
export const identityCacheFile = (n, keys) => path.join(tmpdir(), `mdm-bench-checkin-identities-${n}-${keys}.json`);

/**
 * Writes the device CA into `dir` (caCertFile, caKeyFile: the enrollment service takes it as its own) and returns
 * one certificate per device. RSA key generation is what is slow, so devices share a pool of `keys` RSA-2048 key
 * pairs; each still has its own certificate, and the certificate is what a device row is bound to.
 */
export async function deviceIdentities(dir, n, keys) {
  const t0 = performance.now();
  const cacheFile = identityCacheFile(n, keys);
  const source = [cacheFile, ...largerCaches(n, keys)].find((f) => existsSync(f));
  const cached = source && loadCached(source, n, keys);
  const ca = cached?.ca ?? (await pki.createCertificateAuthority({ commonName: 'MDM Bench Device CA', organization: 'mdm bench' }));
  const caCertFile = path.join(dir, 'device-ca.pem');
  const caKeyFile = path.join(dir, 'device-ca.key');
  writeFileSync(caCertFile, ca.certPem);
  writeFileSync(caKeyFile, ca.keyPem, { mode: 0o600 });
  const withParsed = (d) => {
    const cert = new X509Certificate(d.certPem);
    return { ...d, cert, fingerprint: pki.fingerprintSha256(cert) };
  };
  if (cached) {
    log(`device CA, ${keys} key pairs and ${n} device certificates from ${source} (BENCH_FRESH_IDENTITIES=1 makes new ones)`);
    return { caCertFile, caKeyFile, keys: cached.keys, devices: cached.devices.map(withParsed), cacheFile };
  }
  const pairs = await Promise.all(Array.from({ length: keys }, () => pki.generateRsaKeyPair(2048)));
  const devices = [];
  for (let start = 0; start < n; start += 256) {
    const batch = [];
    for (let i = start; i < Math.min(n, start + 256); i++) {
      const issued = pki.issueCertificate({
        issuer: ca,
        subject: `CN=bench-device-${i}, O=mdm bench`,
        publicKeyPem: pairs[i % keys].publicKeyPem,
        validityDays: 30,
        extendedKeyUsage: ['clientAuth'],
      });
      batch.push(issued.then(({ certPem }) => withParsed({ udid: udidOf(i), certPem, key: i % keys })));
    }
    devices.push(...(await Promise.all(batch)));
    if (start % 10_240 === 0 && start) log(`  ${start}/${n} device certificates`);
  }
  log(`device CA, ${keys} RSA-2048 key pairs and ${n} device certificates in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const result = { caCertFile, caKeyFile, keys: pairs.map((k) => k.keyPem), devices, cacheFile };
  const stored = { ca, keys: result.keys, devices: devices.map((d) => ({ udid: d.udid, certPem: d.certPem, key: d.key })) };
  writeFileSync(cacheFile, JSON.stringify(stored), { mode: 0o600 });
  return result;
}

/** Caches made for more devices, smallest first: their first `n` devices serve as well. */
function largerCaches(n, keys) {
  const pattern = new RegExp(`^mdm-bench-checkin-identities-(\\d+)-${keys}\\.json$`);
  return readdirSync(tmpdir())
    .map((f) => [f, Number(pattern.exec(f)?.[1])])
    .filter(([, size]) => size > n)
    .sort((a, b) => a[1] - b[1])
    .map(([f]) => path.join(tmpdir(), f));
}

/** The first `n` cached identities while the cache has them with `keys` key pairs and they stay valid for another day. */
function loadCached(file, n, keys) {
  if (process.env.BENCH_FRESH_IDENTITIES) return undefined;
  try {
    const cached = JSON.parse(readFileSync(file, 'utf8'));
    if (cached.devices.length < n || cached.keys.length !== keys) return undefined;
    cached.devices = cached.devices.slice(0, n);
    // Issued together: the first certificate's expiry stands for all of them.
    if (new Date(new X509Certificate(cached.devices[0].certPem).validTo).getTime() < Date.now() + 86_400_000) return undefined;
    return cached;
  } catch {
    return undefined;
  }
}
