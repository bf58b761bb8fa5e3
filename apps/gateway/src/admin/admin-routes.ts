import type { z } from 'zod';
import {
  CancelCommandRequest,
  CreateCommandsRequest,
  CreateEnrollmentConfigurationRequest,
  PostApnsCertificatesRequest,
  PostApnsCsrRequest,
  ProfileDefinitionRequest,
  PushDevicesRequest,
  PutApnsCertificateRequest,
  UploadProfileRequest,
} from '@mdm/contracts';
import type { Upstream } from '../upstream/upstream.client';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface AdminRoute {
  method: Method;
  /** OpenAPI path template, e.g. `/v1/commands/{commandUuid}`; also what requests are matched with. */
  path: string;
  service: Upstream;
  summary: string;
  tag: string;
  /** The status of a successful answer. */
  ok: number;
  /** Validated at the edge so bad input never crosses a hop; the owner parses again. */
  body?: z.ZodType;
  /** Documented query parameters (the owner validates them). */
  query?: string[];
  /** A file download rather than JSON. */
  produces?: string;
  /** Compiled from `path`. */
  pattern: RegExp;
}

function route(method: Method, path: string, service: Upstream, tag: string, summary: string, extra: Partial<Pick<AdminRoute, 'ok' | 'body' | 'query' | 'produces'>> = {}): AdminRoute {
  const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
  return { method, path, service, tag, summary, ok: extra.ok ?? (method === 'POST' ? 201 : 200), ...extra, pattern };
}

const MOBILECONFIG = 'application/x-apple-aspen-config';
const PAGING = ['limit', 'offset'];

/** Which service owns which part of the admin API; the OpenAPI document is generated from this table. */
export const ADMIN_ROUTES: readonly AdminRoute[] = [
  route('PUT', '/v1/apns/certificate', 'enrollment', 'push certificate', 'Upload the push certificate, or renew it (PEM pair, PKCS#12, or a certificate for a key from POST /v1/apns/csr)', { body: PutApnsCertificateRequest, query: ['force'] }),
  route('GET', '/v1/apns/certificate', 'enrollment', 'push certificate', 'The push certificates with topic, expiry status and warnings'),
  route('POST', '/v1/apns/certificates', 'enrollment', 'push certificate', 'Add a push certificate for another topic (tenant)', { body: PostApnsCertificatesRequest }),
  route('GET', '/v1/apns/certificates', 'enrollment', 'push certificate', 'All push certificates'),
  route('POST', '/v1/apns/csr', 'enrollment', 'push certificate', 'Create the key (kept on the server) and the CSR for the vendor signing flow', { body: PostApnsCsrRequest }),
  route('POST', '/v1/commands', 'command', 'commands', 'Queue one command (one CommandUUID) for each named device, checked against Apple\'s schema', { body: CreateCommandsRequest }),
  route('GET', '/v1/commands/{commandUuid}', 'command', 'commands', 'A command\'s status per device, with counts per status', { query: PAGING }),
  route('POST', '/v1/commands/{commandUuid}/cancel', 'command', 'commands', 'Cancel a command on the named devices, or wherever it is still pending', { ok: 200, body: CancelCommandRequest }),
  route('GET', '/v1/devices/{udid}/queue', 'command', 'devices', 'The commands still waiting for a device'),
  route('DELETE', '/v1/devices/{udid}/queue', 'command', 'devices', 'Cancel every command waiting for a device'),
  route('POST', '/v1/push', 'command', 'commands', 'Push devices now', { ok: 202, body: PushDevicesRequest }),
  route('GET', '/v1/devices/{udid}/commands', 'command', 'devices', 'A device\'s command history', { query: PAGING }),
  route('GET', '/v1/devices/{udid}', 'enrollment', 'devices', 'One device: inventory, enrollment, push state'),
  route('GET', '/v1/devices', 'enrollment', 'devices', 'Devices, filtered and paged', { query: ['enrolled', 'supervised', 'os', ...PAGING] }),
  route('GET', '/v1/events', 'enrollment', 'events', 'The event log in commit order', { query: ['udid', 'type', 'after', 'limit'] }),
  route('GET', '/v1/enrollment/profile', 'enrollment', 'enrollment', 'A signed enrollment profile with a fresh one-time SCEP challenge', { query: ['topic', 'accessRights', 'unsigned'], produces: MOBILECONFIG }),
  route('POST', '/v1/enrollment-configurations', 'enrollment', 'enrollment', 'Create a named enrollment configuration', { body: CreateEnrollmentConfigurationRequest }),
  route('GET', '/v1/enrollment-configurations', 'enrollment', 'enrollment', 'Enrollment configurations'),
  route('GET', '/v1/enrollment-configurations/{id}', 'enrollment', 'enrollment', 'One enrollment configuration'),
  route('DELETE', '/v1/enrollment-configurations/{id}', 'enrollment', 'enrollment', 'Delete an enrollment configuration', { ok: 204 }),
  route('GET', '/v1/enrollment-configurations/{id}/profile', 'enrollment', 'enrollment', 'The signed enrollment profile of a configuration', { produces: MOBILECONFIG }),
  route('POST', '/v1/profiles', 'profile', 'profiles', 'Create a configuration profile from payload definitions checked against Apple\'s schema', { body: ProfileDefinitionRequest }),
  route('GET', '/v1/profiles', 'profile', 'profiles', 'Configuration profiles'),
  route('POST', '/v1/profiles/upload', 'profile', 'profiles', 'Create a profile from a .mobileconfig (signed or not)', { body: UploadProfileRequest }),
  route('GET', '/v1/profiles/{id}', 'profile', 'profiles', 'One configuration profile'),
  route('PUT', '/v1/profiles/{id}', 'profile', 'profiles', 'Replace a profile\'s definition (its version increases when the result changes)', { body: ProfileDefinitionRequest }),
  route('DELETE', '/v1/profiles/{id}', 'profile', 'profiles', 'Delete a profile', { ok: 204 }),
  route('GET', '/v1/profiles/{id}/mobileconfig', 'profile', 'profiles', 'The signed .mobileconfig of a profile version', { query: ['version', 'unsigned'], produces: MOBILECONFIG }),
];
