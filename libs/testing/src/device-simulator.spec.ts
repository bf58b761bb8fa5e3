import { buildCommandPlist, parsePlistDict, type PlistDict } from '@mdm/protocol';
import { parseForwardedCertificate, parseCertificatePem, PkiError, signDetached, verifyDetachedSignature } from '@mdm/pki';
import { createDeviceIdentity, DeviceSimulator, type DeviceIdentity, type ReceivedCommand } from './device-simulator';
import { header, startRecorder } from './http-recorder';
import { createTestDeviceCa, trustStoreFor } from './test-pki';

/** RSA key generation in the hooks is slow on a loaded machine. */
const KEYGEN_TIMEOUT_MS = 60_000;

describe('DeviceSimulator', () => {
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let ca: DeviceIdentity;
  let identity: DeviceIdentity;
  let sim: DeviceSimulator;

  beforeAll(async () => {
    recorder = await startRecorder();
    ca = await createTestDeviceCa();
    identity = await createDeviceIdentity(ca);
  }, KEYGEN_TIMEOUT_MS);
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

  it('answer() reports what iOS would: Error with its chain, NotNow while busy, CommandFormatError', async () => {
    await sim.answer(command('MakeCoffee'));
    sim.setBusy(true);
    await sim.answer(command('InstallProfile', { Payload: Buffer.from('<plist/>') }));
    await sim.answer(command('DeviceInformation', { Queries: ['DeviceName'] }));
    sim.setBusy(false);
    await sim.answer(command('InstallProfile', { Payload: 'text' }));
    const bodies = recorder.requests.map((r) => parsePlistDict(r.body));
    expect(bodies).toEqual([
      {
        UDID: sim.udid,
        Status: 'Error',
        CommandUUID: 'cmd-MakeCoffee',
        ErrorChain: [{ ErrorCode: 12021, ErrorDomain: 'MCMDMErrorDomain', LocalizedDescription: '\u201cMakeCoffee\u201d is not a valid request type.', USEnglishDescription: '\u201cMakeCoffee\u201d is not a valid request type.' }],
      },
      { UDID: sim.udid, Status: 'NotNow', CommandUUID: 'cmd-InstallProfile' },
      { UDID: sim.udid, Status: 'Acknowledged', CommandUUID: 'cmd-DeviceInformation', QueryResponses: { DeviceName: 'Simulated iPhone' } },
      { UDID: sim.udid, Status: 'CommandFormatError', CommandUUID: 'cmd-InstallProfile' },
    ]);
  });

  it('checks in with the facts DeviceInformation later reports', async () => {
    await sim.authenticate();
    const auth = parsePlistDict(recorder.requests[0].body);
    const info = await sim.outcomeFor(command('DeviceInformation', { Queries: ['SerialNumber', 'ProductName', 'OSVersion', 'BuildVersion', 'DeviceName', 'ModelName', 'ModelNumber'] }));
    expect(info.status === 'Acknowledged' && info.response?.QueryResponses).toEqual({
      SerialNumber: auth.SerialNumber,
      ProductName: auth.ProductName,
      OSVersion: auth.OSVersion,
      BuildVersion: auth.BuildVersion,
      DeviceName: auth.DeviceName,
      ModelName: auth.ModelName,
      ModelNumber: auth.Model,
    });
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

function command(requestType: string, fields: PlistDict = {}, uuid = `cmd-${requestType}`): ReceivedCommand {
  const cmd: PlistDict = { RequestType: requestType, ...fields };
  return { commandUuid: uuid, requestType, command: cmd, raw: { CommandUUID: uuid, Command: cmd } };
}
