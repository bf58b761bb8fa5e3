import { type Command, command, Exit, printJson, UsageError } from '../command';
import { table } from '../format';
import { flag, str } from '../options';

interface CertificateView {
  topic: string;
  notAfter: string;
  fingerprint: string;
  status: string;
  daysLeft: number;
  warnings: string[];
  action?: string;
}

interface UploadParams {
  certificate?: string;
  privateKey?: string;
  pkcs12?: string;
  password?: string;
  force: boolean;
  add: boolean;
}

export const pushCertCommands: readonly Command[] = [
  command<UploadParams>({
    name: 'push-cert upload',
    usage: 'mdmctl push-cert upload (--cert push.pem [--private-key push.key] | --p12 push.p12 [--password PW]) [--force] [--add]',
    summary: 'Upload or renew the push certificate (--force: replace it with another topic; --add: another tenant topic)',
    options: {
      cert: { type: 'string' },
      'private-key': { type: 'string' },
      p12: { type: 'string' },
      password: { type: 'string' },
      force: { type: 'boolean' },
      add: { type: 'boolean' },
    },
    parse: (v) => {
      const certificate = str(v, 'cert');
      const pkcs12 = str(v, 'p12');
      if ((certificate === undefined) === (pkcs12 === undefined)) throw new UsageError('give the certificate as --cert <PEM file> or as --p12 <PKCS#12 file>');
      if (pkcs12 !== undefined && v['private-key'] !== undefined) throw new UsageError('the key of a PKCS#12 file is inside it: leave out --private-key');
      if (certificate !== undefined && v['password'] !== undefined) throw new UsageError('--password goes with --p12');
      if (flag(v, 'force') && flag(v, 'add')) throw new UsageError('--force replaces the stored topic, --add stores another one: pick one');
      return { certificate, privateKey: str(v, 'private-key'), pkcs12, password: str(v, 'password'), force: flag(v, 'force'), add: flag(v, 'add') };
    },
    run: async (ctx, c) => {
      const body: Record<string, unknown> = c.pkcs12
        ? { pkcs12: ctx.io.readFile(c.pkcs12).toString('base64'), ...(c.password !== undefined ? { password: c.password } : {}) }
        : {
            certificate: ctx.io.readFile(c.certificate!).toString('utf8'),
            ...(c.privateKey ? { privateKey: ctx.io.readFile(c.privateKey).toString('utf8') } : {}),
          };
      if (c.force) body['force'] = true;
      const result = c.add
        ? await ctx.api.json<CertificateView>('POST', '/v1/apns/certificates', body)
        : await ctx.api.json<CertificateView>('PUT', '/v1/apns/certificate', body);
      if (ctx.global.json) {
        printJson(ctx, result);
      } else {
        ctx.io.stdout(`${result.topic}: ${result.action ?? 'stored'}, valid until ${result.notAfter} (${result.daysLeft} days)\n`);
        for (const w of result.warnings ?? []) ctx.io.stdout(`warning: ${w}\n`);
      }
      return Exit.Ok;
    },
  }),
  command<null>({
    name: 'push-cert list',
    usage: 'mdmctl push-cert list',
    summary: 'The stored push certificates with topic, expiry and warnings',
    parse: () => null,
    run: async (ctx) => {
      const page = await ctx.api.json<{ status: string; warnings: string[]; certificates: CertificateView[] }>('GET', '/v1/apns/certificates?limit=1000');
      if (ctx.global.json) {
        printJson(ctx, page);
        return Exit.Ok;
      }
      if (!page.certificates.length) ctx.io.stdout('no push certificates\n');
      else
        ctx.io.stdout(
          `${table(page.certificates, [
            { header: 'TOPIC', value: (c) => c.topic },
            { header: 'STATUS', value: (c) => c.status },
            { header: 'NOT AFTER', value: (c) => c.notAfter },
            { header: 'DAYS LEFT', value: (c) => c.daysLeft },
            { header: 'FINGERPRINT', value: (c) => c.fingerprint.slice(0, 16) },
          ])}\n`,
        );
      for (const w of page.warnings) ctx.io.stdout(`warning: ${w}\n`);
      return Exit.Ok;
    },
  }),
  command<{ commonName?: string; email?: string; out?: string }>({
    name: 'push-cert csr',
    usage: 'mdmctl push-cert csr [--common-name CN] [--email E] [--out push.csr]',
    summary: 'Make the push certificate key on the server and print its CSR (for the vendor signing flow)',
    options: { 'common-name': { type: 'string' }, email: { type: 'string' }, out: { type: 'string', short: 'o' } },
    parse: (v) => ({ commonName: str(v, 'common-name'), email: str(v, 'email'), out: str(v, 'out') }),
    run: async (ctx, c) => {
      const answer = await ctx.api.json<{ csr: string } & Record<string, unknown>>('POST', '/v1/apns/csr', {
        ...(c.commonName ? { commonName: c.commonName } : {}),
        ...(c.email ? { email: c.email } : {}),
      });
      if (ctx.global.json) printJson(ctx, answer);
      else if (c.out) {
        ctx.io.writeFile(c.out, Buffer.from(answer.csr));
        ctx.io.stderr(`wrote the CSR to ${c.out}\n`);
      } else ctx.io.stdout(answer.csr.endsWith('\n') ? answer.csr : `${answer.csr}\n`);
      return Exit.Ok;
    },
  }),
];
