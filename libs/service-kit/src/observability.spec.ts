import type { Request, Response } from 'express';
import { cachedReading, routeLabel, ServiceMetrics, setRouteLabel, UNMATCHED_ROUTE } from './metrics';
import { currentRequestId, isValidRequestId, requestIdHeaders, runWithRequestId } from './request-context';

describe('request ids', () => {
  it('accepts visible ASCII up to 128 characters and nothing else', () => {
    expect(isValidRequestId('abc-123:/_.~!')).toBe(true);
    expect(isValidRequestId('x'.repeat(128))).toBe(true);
    expect(isValidRequestId('x'.repeat(129))).toBe(false);
    expect(isValidRequestId('')).toBe(false);
    expect(isValidRequestId('with space')).toBe(false);
    expect(isValidRequestId('tab\there')).toBe(false);
    expect(isValidRequestId('é')).toBe(false);
    expect(isValidRequestId(['a'])).toBe(false);
  });

  it('binds the id for the code run inside, across awaits, and nowhere else', async () => {
    expect(currentRequestId()).toBeUndefined();
    await runWithRequestId('req-1', async () => {
      await new Promise((r) => setTimeout(r, 1));
      expect(currentRequestId()).toBe('req-1');
      expect(requestIdHeaders()).toEqual({ 'x-request-id': 'req-1' });
    });
    expect(requestIdHeaders()).toEqual({});
  });
});

describe('metrics', () => {
  const res = (): Response => ({ locals: {} }) as unknown as Response;

  it('labels a request with its route template, an explicit one first, and unmatched without a route', () => {
    const req = { baseUrl: '', route: { path: '/v1/commands/:uuid' } } as unknown as Request;
    expect(routeLabel(req, res())).toBe('/v1/commands/:uuid');
    const r = res();
    setRouteLabel(r, '/v1/commands/{commandUuid}');
    expect(routeLabel({ baseUrl: '', route: { path: '/v1/*path' } } as unknown as Request, r)).toBe('/v1/commands/{commandUuid}');
    expect(routeLabel({ baseUrl: '' } as unknown as Request, res())).toBe(UNMATCHED_ROUTE);
  });

  it('records HTTP requests by method, route and status', async () => {
    const m = new ServiceMetrics('unit');
    m.observeRequest('GET', '/v1/devices', 200, 0.02);
    m.observeRequest('GET', '/v1/devices', 200, 0.03);
    const { body } = await m.source();
    expect(body).toContain('mdm_http_requests_total{method="GET",route="/v1/devices",status="200"} 2');
    expect(body).toContain('mdm_http_request_duration_seconds_count{method="GET",route="/v1/devices",status="200"} 2');
    expect(body).toContain('mdm_unit_process_resident_memory_bytes');
  });

  it('reuses a reading within its TTL and reads again after it, or after a failure', async () => {
    let reads = 0;
    let fail = false;
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    const read = cachedReading(50, async () => {
      reads++;
      if (fail) throw new Error('down');
      return reads;
    });
    expect(await read()).toBe(1);
    expect(await read()).toBe(1);
    now += 49;
    expect(await read()).toBe(1);
    now += 1;
    fail = true;
    await expect(read()).rejects.toThrow('down');
    fail = false;
    expect(await read()).toBe(3);
    clock.mockRestore();
  });
});
