import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildCommandPlist, parsePlistDict, type PlistDict } from '@mdm/protocol';
import { parseForwardedCertificate, parseCertificatePem, PkiError, signDetached, verifyDetachedSignature } from '@mdm/pki';
import { createDeviceIdentity, DeviceSimulator, type DeviceIdentity } from './device-simulator';
import { createTestDeviceCa, trustStoreFor } from './test-pki';

interface Captured {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Records what the simulator sends and answers with whatever the test queued: no gateway involved. */
async function startRecorder(): Promise<{ baseUrl: string; requests: Captured[]; replies: string[]; close: () => Promise<void> }> {
  const requests: Captured[] = [];
  const replies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200, { 'Content-Type': 'application/xml' });
      res.end(replies.shift() ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    replies,
    close: () => new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}

function header(req: Captured, name: string): string {
  const value = req.headers[name.toLowerCase()];
  if (typeof value !== 'string') throw new Error(`request has no ${name} header`);
  return value;
}

describe('DeviceSimulator', () => {
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let ca: DeviceIdentity;
  let identity: DeviceIdentity;
  let sim: DeviceSimulator;

  beforeAll(async () => {
    recorder = await startRecorder();
    ca = await createTestDeviceCa();
    identity = await createDeviceIdentity(ca);
  });
  afterAll(() => recorder.close());
  beforeEach(() => {
    recorder.requests.length = 0;
    recorder.replies.length = 0;
    sim = new DeviceSimulator({ baseUrl: recorder.baseUrl, identity, topic: 'com.apple.mgmt.External.test' });
  });

  it('signs check-in messages like a device, verifiable with @mdm/pki and chaining to the test CA', async () => {
    await sim.authenticate();
    const [req] = recorder.requests;
    expect(req.method).toBe('PUT');
    expect(req.url).toBe('/mdm/checkin');
    expect(header(req, 'Content-Type')).toBe('application/x-apple-aspen-mdm-checkin');
    const { signer, digestAlgorithm } = await verifyDetachedSignature(header(req, 'Mdm-Signature'), req.body);
    expect(digestAlgorithm).toBe('SHA-256');
    expect(signer.raw.equals(parseCertificatePem(identity.certPem).raw)).toBe(true);
    expect(() => trustStoreFor(ca).verify(signer)).not.toThrow();
    const msg = parsePlistDict(req.body);
    expect(msg).toMatchObject({ MessageType: 'Authenticate', UDID: sim.udid, Topic: 'com.apple.mgmt.External.test', SerialNumber: sim.serialNumber, ProductName: 'iPhone15,2', OSVersion: '17.5' });
  });

  it('sends TokenUpdate with its token and push magic, and CheckOut', async () => {
    await sim.tokenUpdate();
    await sim.checkOut();
    const update = parsePlistDict(recorder.requests[0].body);
    expect(update.MessageType).toBe('TokenUpdate');
    expect(Buffer.isBuffer(update.Token) && update.Token.equals(sim.token)).toBe(true);
    expect(sim.tokenHex).toMatch(/^[0-9a-f]{64}$/);
    expect(update.PushMagic).toBe(sim.pushMagic);
    expect(parsePlistDict(recorder.requests[1].body)).toMatchObject({ MessageType: 'CheckOut', UDID: sim.udid });
  });

  it('uses SHA-1 when asked, as older devices do', async () => {
    const old = new DeviceSimulator({ baseUrl: recorder.baseUrl, identity, digest: 'SHA-1' });
    await old.idle();
    const req = recorder.requests[0];
    expect((await verifyDetachedSignature(header(req, 'Mdm-Signature'), req.body)).digestAlgorithm).toBe('SHA-1');
  });

  it('parses a command from the reply and answers DeviceInformation with the requested queries', async () => {
    recorder.replies.push(buildCommandPlist('cmd-1', { RequestType: 'DeviceInformation', Queries: ['UDID', 'OSVersion', 'IsSupervised', 'NoSuchQuery'] }));
    const res = await sim.idle();
    expect(res.status).toBe(200);
    expect(res.command).toMatchObject({ commandUuid: 'cmd-1', requestType: 'DeviceInformation' });
    expect(parsePlistDict(recorder.requests[0].body)).toEqual({ UDID: sim.udid, Status: 'Idle' });
    expect(recorder.requests[0].url).toBe('/mdm/connect');
    expect(header(recorder.requests[0], 'Content-Type')).toBe('application/x-apple-aspen-mdm');

    if (!res.command) throw new Error('no command parsed');
    const answered = await sim.answer(res.command);
    expect(answered.command).toBeUndefined();
    expect(answered.text).toBe('');
    const report = parsePlistDict(recorder.requests[1].body);
    expect(report).toEqual({
      UDID: sim.udid,
      Status: 'Acknowledged',
      CommandUUID: 'cmd-1',
      QueryResponses: { UDID: sim.udid, OSVersion: '17.5', IsSupervised: false },
    });
  });

  it('acknowledges other commands and reports NotNow, Error and CommandFormatError', async () => {
    await sim.answer({ commandUuid: 'c1', requestType: 'ProfileList', command: { RequestType: 'ProfileList' }, raw: {} });
    await sim.notNow('c2');
    await sim.error('c3');
    await sim.formatError('c4');
    const bodies: PlistDict[] = recorder.requests.map((r) => parsePlistDict(r.body));
    expect(bodies.map((b) => [b.Status, b.CommandUUID])).toEqual([
      ['Acknowledged', 'c1'],
      ['NotNow', 'c2'],
      ['Error', 'c3'],
      ['CommandFormatError', 'c4'],
    ]);
    expect(Array.isArray(bodies[2].ErrorChain) && bodies[2].ErrorChain.length).toBe(1);
  });

  it('forwards its certificate URL-escaped in forwarded-cert mode, with no signature', async () => {
    const proxied = new DeviceSimulator({ baseUrl: recorder.baseUrl, identity, auth: 'forwarded-cert' });
    await proxied.idle();
    const req = recorder.requests[0];
    expect(req.headers['mdm-signature']).toBeUndefined();
    expect(header(req, 'X-Ssl-Client-Cert')).not.toContain('\n');
    expect(parseForwardedCertificate(header(req, 'X-Ssl-Client-Cert')).raw.equals(parseCertificatePem(identity.certPem).raw)).toBe(true);
  });

  it('sends hostile variants: unsigned, foreign-signed, tampered, and under another UDID', async () => {
    const rogueCa = await createTestDeviceCa({ commonName: 'Rogue CA' });
    const rogue = await createDeviceIdentity(rogueCa);
    await sim.send('/mdm/connect', 'x', { sign: false });
    await sim.send('/mdm/connect', 'y', { sign: { identity: rogue } });
    const signedForOther = await signDetached(Buffer.from('original'), identity);
    await sim.send('/mdm/connect', 'tampered', { sign: false, headers: { 'Mdm-Signature': signedForOther } });
    const other = sim.withUdid('OTHER-UDID');
    await other.idle();

    const [unsigned, foreign, tampered, wrongUdid] = recorder.requests;
    expect(unsigned.headers['mdm-signature']).toBeUndefined();
    const foreignResult = await verifyDetachedSignature(header(foreign, 'Mdm-Signature'), foreign.body);
    expect(() => trustStoreFor(ca).verify(foreignResult.signer)).toThrow(PkiError);
    await expect(verifyDetachedSignature(header(tampered, 'Mdm-Signature'), tampered.body)).rejects.toMatchObject({ code: 'bad-signature' });
    expect(parsePlistDict(wrongUdid.body).UDID).toBe('OTHER-UDID');
    const { signer } = await verifyDetachedSignature(header(wrongUdid, 'Mdm-Signature'), wrongUdid.body);
    expect(signer.raw.equals(parseCertificatePem(identity.certPem).raw)).toBe(true);
  });
});
