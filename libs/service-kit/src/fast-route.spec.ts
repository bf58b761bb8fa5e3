import { Controller, Get, type INestApplication, Module, Put, UnauthorizedException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { answerJson, serveFastRoutes } from './fast-route';
import { ServiceMetrics } from './metrics';
import { MetricsModule } from './metrics.module';
import { currentRequestId } from './request-context';

@Controller()
class SlowController {
  @Get('echo')
  echo(): string {
    return 'through Nest';
  }

  @Put('echo')
  put(): string {
    return 'PUT through Nest';
  }
}

@Module({ controllers: [SlowController] })
class SlowModule {}

describe('serveFastRoutes', () => {
  let app: INestApplication;
  let base: string;
  const seen: Array<{ body: string; requestId: string | undefined }> = [];

  beforeAll(async () => {
    app = await NestFactory.create({ module: class Root {}, imports: [SlowModule, MetricsModule.forRoot('fast-route-spec', { serve: 'none' })] }, { logger: false });
    serveFastRoutes(app, [
      {
        method: 'PUT',
        path: '/echo',
        maxBodyBytes: 64,
        admit: (req, res) => {
          if (req.headers['x-refuse'] === undefined) return true;
          answerJson(res, 429, { statusCode: 429, message: 'refused before the body' }, { 'retry-after': '3' });
          return false;
        },
        handle: async (_req, body, res) => {
          const text = body.toString();
          seen.push({ body: text, requestId: currentRequestId() });
          if (text === 'deny') throw new UnauthorizedException('not you');
          if (text === 'bug') throw new TypeError('a real bug');
          if (text === 'gone') throw Object.assign(new Error('Connection terminated unexpectedly'), {});
          res.setHeader('content-type', 'text/plain');
          res.end(`fast:${text}`);
        },
      },
    ]);
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  const put = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${base}${path}`, { method: 'PUT', body, headers });

  it('serves its route ahead of Nest, with the body and a request id it answers and binds', async () => {
    const res = await put('/echo', 'hello', { 'x-request-id': 'req-42' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('fast:hello');
    expect(res.headers.get('x-request-id')).toBe('req-42');
    expect(seen.at(-1)).toEqual({ body: 'hello', requestId: 'req-42' });
    // A path as Express matches it: any case, a trailing slash, a query string.
    expect(await (await put('/ECHO/?x=1', 'again')).text()).toBe('fast:again');
    expect((await put('/echo', 'no id')).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('leaves other methods and paths to Express and Nest', async () => {
    expect(await (await fetch(`${base}/echo`)).text()).toBe('through Nest');
    expect((await put('/echo/more', 'x')).status).toBe(404);
  });

  it('answers errors as Nest does: HttpException as is, 503 when the database is gone, 500 otherwise', async () => {
    const denied = await put('/echo', 'deny');
    expect(denied.status).toBe(401);
    expect(await denied.json()).toMatchObject({ statusCode: 401, message: 'not you' });
    const gone = await put('/echo', 'gone');
    expect(gone.status).toBe(503);
    expect(gone.headers.get('retry-after')).toBe('5');
    const bug = await put('/echo', 'bug');
    expect(bug.status).toBe(500);
    expect(await bug.json()).toEqual({ statusCode: 500, message: 'Internal server error' });
  });

  it('refuses before reading the body, and refuses a body over the limit or encoded', async () => {
    const refused = await put('/echo', 'x', { 'x-refuse': '1' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('3');
    const large = await put('/echo', 'y'.repeat(65));
    expect(large.status).toBe(413);
    expect(await large.json()).toMatchObject({ statusCode: 413, message: expect.stringMatching(/larger than the limit of 64 bytes/) });
    const gzip = await put('/echo', 'z', { 'content-encoding': 'gzip' });
    expect(gzip.status).toBe(415);
    expect(seen.map((s) => s.body)).not.toContain('y'.repeat(65));
  });

  it('counts its requests in the HTTP metrics under the route', async () => {
    const text = (await (await app.get(ServiceMetrics).source()).body).toString();
    expect(text).toMatch(/mdm_http_requests_total\{[^}]*method="PUT",route="\/echo",status="200"[^}]*\} [1-9]/);
    expect(text).toMatch(/mdm_http_requests_total\{[^}]*route="\/echo",status="413"[^}]*\} 1/);
  });
});
