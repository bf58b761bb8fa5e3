// The check-in load generator, in its own process (forked by generator.mjs, driven over IPC), so its
// CPU is accounted apart from the servers'. Every body is signed before the clock starts: an Idle body is constant
// per device, and so is the Acknowledged body of a round's command, so during a round the generator only writes
// bytes it already holds and reads answers, over keep-alive sockets with a bounded number of requests in flight.
//
// Messages in:  { type: 'init', devices: [{ udid, certPem, key }], keys: [keyPem], concurrency, signatureCache }
//               { type: 'acks', uuid, indices }          sign the Acknowledged bodies of the next round
//               { type: 'round', url, path?, concurrency?, mode, indices }  run one round ('system' checks the answers,
//                                                         'baseline' doesn't); path defaults to /mdm/connect
//               { type: 'exit' }
// Messages out: { type: 'ready', seconds } | { type: 'acks-ready', seconds } | { type: 'round-done', ... } | { type: 'error', message }
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
// @peculiar/x509 (inside @mdm/pki) needs the Reflect metadata polyfill loaded first, as the services' entrypoints do.
require('reflect-metadata');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { signDetached } = require(path.join(ROOT, 'dist/libs/pki/src/index.js'));
const { buildPlist } = require(path.join(ROOT, 'dist/libs/protocol/src/index.js'));

const CONTENT_TYPE = 'application/x-apple-aspen-mdm';

/** @type {{ udid: string, identity: { certPem: string, keyPem: string }, idle: { body: Buffer, signature: string }, ack?: { body: Buffer, signature: string, uuid: string } }[]} */
let devices = [];
let agent;
let concurrency = 64;

async function signed(plist, identity) {
  const body = Buffer.from(buildPlist(plist), 'utf8');
  return { body, signature: await signDetached(body, identity, { digest: 'SHA-256' }) };
}

async function init(msg) {
  const t0 = performance.now();
  concurrency = msg.concurrency;
  // Idle sockets are dropped before the gateway's keep-alive timeout (MDM_KEEPALIVE_TIMEOUT_MS, 5 s) can close one
  // under a request sent between rounds.
  agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency, timeout: 3000 });
  devices = [];
  // Signatures of the previous run, valid as long as the certificate they name is the same one.
  let cache = {};
  try {
    cache = JSON.parse(readFileSync(msg.signatureCache, 'utf8'));
  } catch {
    /* none yet */
  }
  let reused = 0;
  for (const d of msg.devices) {
    const identity = { certPem: d.certPem, keyPem: msg.keys[d.key] };
    const hit = cache[d.udid];
    let idle;
    if (hit && hit.certPem === d.certPem) {
      idle = { body: Buffer.from(buildPlist({ UDID: d.udid, Status: 'Idle' }), 'utf8'), signature: hit.signature };
      reused++;
    } else {
      idle = await signed({ UDID: d.udid, Status: 'Idle' }, identity);
    }
    devices.push({ udid: d.udid, identity, idle });
  }
  if (reused < devices.length) {
    writeFileSync(msg.signatureCache, JSON.stringify(Object.fromEntries(devices.map((d) => [d.udid, { certPem: d.identity.certPem, signature: d.idle.signature }]))), { mode: 0o600 });
  }
  return { type: 'ready', seconds: (performance.now() - t0) / 1000, reused };
}

async function signAcks(msg) {
  const t0 = performance.now();
  for (const d of devices) d.ack = undefined;
  for (const i of msg.indices) {
    const d = devices[i];
    d.ack = { ...(await signed({ UDID: d.udid, Status: 'Acknowledged', CommandUUID: msg.uuid }, d.identity)), uuid: msg.uuid };
  }
  return { type: 'acks-ready', seconds: (performance.now() - t0) / 1000 };
}

function put(url, { body, signature }) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const req = http.request(
      url,
      { method: 'PUT', agent, headers: { 'content-type': CONTENT_TYPE, 'content-length': body.length, 'mdm-signature': signature } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
        res.on('error', (err) => resolve({ status: 0, text: err.message, ms: performance.now() - t0 }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, text: err.message, ms: performance.now() - t0 }));
    req.end(body);
  });
}

async function round(msg) {
  const url = new URL(msg.path ?? '/mdm/connect', msg.url);
  const workers = msg.concurrency ?? concurrency;
  const check = msg.mode === 'system';
  const latencies = [];
  const statuses = {};
  const problems = { missingCommand: 0, unexpectedCommand: 0, wrongCommand: 0, ackAnswered: 0 };
  const samples = [];
  let next = 0;
  const count = (r) => {
    latencies.push(r.ms);
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status !== 200 && samples.length < 5) samples.push(`${r.status} ${r.text.slice(0, 200)}`);
  };
  const worker = async () => {
    while (next < msg.indices.length) {
      const d = devices[msg.indices[next++]];
      const idle = await put(url, d.idle);
      count(idle);
      if (!d.ack) {
        if (check && idle.status === 200 && idle.text.length) problems.unexpectedCommand++;
        continue;
      }
      // A device answers the command it was handed; the baseline hands out none, and gets the same answer anyway
      // so both servers see the same requests.
      if (check && idle.status === 200) {
        if (!idle.text.length) problems.missingCommand++;
        else if (!idle.text.includes(d.ack.uuid)) problems.wrongCommand++;
      }
      const ack = await put(url, d.ack);
      count(ack);
      if (check && ack.status === 200 && ack.text.length) problems.ackAnswered++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: workers }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return { type: 'round-done', seconds, latencies, statuses, problems, samples };
}

process.on('message', (msg) => {
  const handlers = { init, acks: signAcks, round };
  if (msg.type === 'exit') {
    agent?.destroy();
    process.disconnect();
    return;
  }
  const handler = handlers[msg.type];
  if (!handler) return process.send({ type: 'error', message: `unknown message ${msg.type}` });
  handler(msg).then(
    (reply) => process.send(reply),
    (err) => process.send({ type: 'error', message: err instanceof Error ? err.stack : String(err) }),
  );
});
