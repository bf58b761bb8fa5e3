import { describeZodError } from './api';
import { ALL_EVENT_TYPES, CommandDevicesQuery, DeviceCommandsQuery, DeviceListQuery, EventListQuery, listQueryParams } from './list-query';

const refusal = (schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, query: Record<string, string>): string => {
  const result = schema.safeParse(query);
  if (result.success) throw new Error(`accepted ${JSON.stringify(query)}`);
  return describeZodError(result.error as Parameters<typeof describeZodError>[0]);
};

describe('list queries', () => {
  it('fills the defaults every list shares', () => {
    expect(DeviceListQuery.parse({})).toEqual({ limit: 100, offset: 0, sort: 'createdAt', order: 'asc' });
    expect(DeviceCommandsQuery.parse({})).toMatchObject({ sort: 'queuedAt', order: 'desc' });
    expect(CommandDevicesQuery.parse({}).limit).toBe(1000);
    expect(EventListQuery.parse({})).toEqual({ limit: 100, order: 'asc' });
  });

  it('parses query strings into typed filters', () => {
    expect(DeviceListQuery.parse({ enrolled: 'false', limit: '5', offset: '10', sort: 'osVersion', order: 'desc', osMin: '17.2' })).toEqual({
      enrolled: false,
      limit: 5,
      offset: 10,
      sort: 'osVersion',
      order: 'desc',
      osMin: '17.2',
    });
    expect(DeviceCommandsQuery.parse({ status: 'ERROR, FORMAT_ERROR,ERROR' }).status).toEqual(['ERROR', 'FORMAT_ERROR']);
    expect(EventListQuery.parse({ type: 'command.*,device.enrolled' }).type).toEqual({ exact: ['device.enrolled'], prefixes: ['command.'] });
    expect(EventListQuery.parse({ after: '123.45' }).after).toBe('123.45');
    expect(DeviceListQuery.parse({ search: '  iPad ' }).search).toBe('iPad');
  });

  it('names the allowed sort fields, values and parameters in refusals', () => {
    expect(refusal(DeviceListQuery, { sort: 'color' })).toBe('sort: must be one of createdAt, enrolledAt, lastSeenAt, udid, serialNumber, osVersion');
    expect(refusal(DeviceListQuery, { order: 'up' })).toBe('order: must be one of asc, desc');
    expect(refusal(DeviceListQuery, { search: ' ' })).toBe('search: search must not be empty');
    expect(refusal(DeviceListQuery, { limit: '1001' })).toMatch(/^limit: /);
    expect(refusal(DeviceListQuery, { limit: '0' })).toMatch(/^limit: /);
    expect(refusal(DeviceListQuery, { offset: '-1' })).toMatch(/^offset: /);
    expect(refusal(DeviceListQuery, { os: '17.x' })).toBe('os: must be a version such as 17, 17.5 or 17.5.1');
    expect(refusal(DeviceListQuery, { enroled: 'true' })).toBe(
      'unknown parameter(s) enroled; this list takes enrolled, supervised, os, osMin, model, serial, search, limit, offset, sort, order',
    );
    expect(refusal(DeviceCommandsQuery, { status: 'DONE' })).toMatch(/^status: unknown value\(s\) DONE; one or more of QUEUED, SENT, PUSH/);
    expect(refusal(EventListQuery, { type: 'command.exploded' })).toMatch(/unknown event type command\.exploded/);
    expect(refusal(EventListQuery, { type: 'nothing.*' })).toMatch(/no event type starts with nothing\./);
    expect(refusal(EventListQuery, { after: 'yesterday' })).toMatch(/^after: must be a cursor/);
    expect(refusal(EventListQuery, { offset: '3' })).toMatch(/unknown parameter\(s\) offset; this list takes udid, type, since, until, limit, after, order/);
  });

  it('knows the command events the database writes', () => {
    expect(ALL_EVENT_TYPES).toEqual(expect.arrayContaining(['device.enrolled', 'command.queued', 'command.delivered', 'command.not_now', 'command.format_error']));
    expect(new Set(ALL_EVENT_TYPES).size).toBe(ALL_EVENT_TYPES.length);
  });

  it('lists every parameter for the route table', () => {
    expect(listQueryParams(EventListQuery)).toEqual(['udid', 'type', 'since', 'until', 'limit', 'after', 'order']);
  });
});
