import type { z } from 'zod';
import {
  type ApiKeyScope,
  CancelCommandRequest,
  CreateApiKeyRequest,
  CreateDeviceGroupRequest,
  GroupMembersRequest,
  ProfileAssignmentRequest,
  UpdateDeviceGroupRequest,
  CreateCommandsRequest,
  CreateEnrollmentConfigurationRequest,
  PostApnsCertificatesRequest,
  PostApnsCsrRequest,
  ProfileDefinitionRequest,
  PushDevicesRequest,
  PutApnsCertificateRequest,
  UploadProfileRequest,
  CreateWebhookRequest,
  UpdateWebhookRequest,
  ReplayWebhookRequest,
  RefreshInventoryRequest,
} from '@mdm/contracts';
import type { Upstream } from '../upstream/upstream.client';
// List parameters come from the schemas the owners parse with, so the document can't drift from them.
import { InventoryHistoryQuery, ApiKeyListQuery, ApnsCertificateListQuery, CommandDevicesQuery, CommandListQuery, DeviceGroupListQuery, ProfileListQuery, WebhookListQuery, DeviceCommandsQuery, DeviceListQuery, EnrollmentConfigurationListQuery, EventListQuery, listQueryParams } from '@mdm/contracts';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface AdminRoute {
  method: Method;
  /** OpenAPI path template, e.g. `/v1/commands/{commandUuid}`; also what requests are matched with. */
  path: string;
  service: Upstream;
  summary: string;
  tag: string;
  /**
   * The scope a key needs to call this (an `admin` key may call anything). Required, so a new route
   * says who may use it: `read` for every GET, `commands`, `profiles`, or `admin` for the server's
   * own configuration and credentials.
   */
  scope: ApiKeyScope;
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

function route(method: Method, path: string, service: Upstream, tag: string, scope: ApiKeyScope, summary: string, extra: Partial<Pick<AdminRoute, 'ok' | 'body' | 'query' | 'produces'>> = {}): AdminRoute {
  const pattern = new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
  return { method, path, service, tag, scope, summary, ok: extra.ok ?? (method === 'POST' ? 201 : 200), ...extra, pattern };
}

const MOBILECONFIG = 'application/x-apple-aspen-config';

/** Which service owns which part of the admin API; the OpenAPI document is generated from this table. */
export const ADMIN_ROUTES: readonly AdminRoute[] = [
  route('PUT', '/v1/apns/certificate', 'enrollment', 'push certificate', 'admin', 'Upload the push certificate, or renew it (PEM pair, PKCS#12, or a certificate for a key from POST /v1/apns/csr)', { body: PutApnsCertificateRequest, query: ['force'] }),
  route('GET', '/v1/apns/certificate', 'enrollment', 'push certificate', 'read', 'The push certificates with topic, expiry status and warnings'),
  route('POST', '/v1/apns/certificates', 'enrollment', 'push certificate', 'admin', 'Add a push certificate for another topic (tenant)', { body: PostApnsCertificatesRequest }),
  route('GET', '/v1/apns/certificates', 'enrollment', 'push certificate', 'read', 'All push certificates', { query: listQueryParams(ApnsCertificateListQuery) }),
  route('POST', '/v1/apns/csr', 'enrollment', 'push certificate', 'admin', 'Create the key (kept on the server) and the CSR for the vendor signing flow', { body: PostApnsCsrRequest }),
  route('POST', '/v1/commands', 'command', 'commands', 'commands', 'Queue one command (one CommandUUID) for each named device, checked against Apple\'s schema', { body: CreateCommandsRequest }),
  route('GET', '/v1/commands', 'command', 'commands', 'read', 'The commands, newest first, with how many devices are in each status', { query: listQueryParams(CommandListQuery) }),
  route('GET', '/v1/commands/{commandUuid}', 'command', 'commands', 'read', 'A command\'s status per device, with counts per status', { query: listQueryParams(CommandDevicesQuery) }),
  route('POST', '/v1/commands/{commandUuid}/cancel', 'command', 'commands', 'commands', 'Cancel a command on the named devices, or wherever it is still pending', { ok: 200, body: CancelCommandRequest }),
  route('GET', '/v1/devices/{udid}/queue', 'command', 'devices', 'read', 'The commands still waiting for a device'),
  route('DELETE', '/v1/devices/{udid}/queue', 'command', 'devices', 'commands', 'Cancel every command waiting for a device'),
  route('POST', '/v1/push', 'command', 'commands', 'commands', 'Push devices now', { ok: 202, body: PushDevicesRequest }),
  route('GET', '/v1/devices/{udid}/commands', 'command', 'devices', 'read', 'A device\'s command history', { query: listQueryParams(DeviceCommandsQuery) }),
  route('GET', '/v1/devices/{udid}/inventory', 'command', 'devices', 'read', 'A device\'s full inventory: every DeviceInformation answer by group, SecurityInfo, certificates'),
  route('GET', '/v1/devices/{udid}/inventory/history', 'command', 'devices', 'read', 'What changed in a device\'s inventory, newest first, paged with before=next', { query: Object.keys(InventoryHistoryQuery.shape) }),
  route('POST', '/v1/devices/{udid}/inventory/refresh', 'command', 'devices', 'commands', 'Ask a device for its full inventory now (not twice while one is open)', { ok: 202 }),
  route('POST', '/v1/inventory/refresh', 'command', 'devices', 'commands', 'Ask devices for their full inventory now; devices with a refresh still open are skipped', { ok: 202, body: RefreshInventoryRequest }),
  route('GET', '/v1/devices/{udid}', 'enrollment', 'devices', 'read', 'One device: inventory, enrollment, push state'),
  route('GET', '/v1/devices', 'enrollment', 'devices', 'read', 'Devices, filtered, sorted and paged', { query: listQueryParams(DeviceListQuery) }),
  // Served by the gateway itself (EventStreamController) from the owner's event log; listed here for its scope and the document.
  route('GET', '/v1/events/stream', 'enrollment', 'events', 'read', 'The event log as server-sent events (id = cursor; reconnect with Last-Event-ID); filters type and udid, start with after', { query: ['type', 'udid', 'after'], produces: 'text/event-stream' }),
  route('GET', '/v1/events', 'enrollment', 'events', 'read', 'The event log in commit order, followed with the `next` cursor', { query: listQueryParams(EventListQuery) }),
  route('GET', '/v1/enrollment/profile', 'enrollment', 'enrollment', 'read', 'A signed enrollment profile with a fresh one-time SCEP challenge', { query: ['topic', 'accessRights', 'unsigned'], produces: MOBILECONFIG }),
  route('POST', '/v1/enrollment-configurations', 'enrollment', 'enrollment', 'admin', 'Create a named enrollment configuration', { body: CreateEnrollmentConfigurationRequest }),
  route('GET', '/v1/enrollment-configurations', 'enrollment', 'enrollment', 'read', 'Enrollment configurations', { query: listQueryParams(EnrollmentConfigurationListQuery) }),
  route('GET', '/v1/enrollment-configurations/{id}', 'enrollment', 'enrollment', 'read', 'One enrollment configuration'),
  route('DELETE', '/v1/enrollment-configurations/{id}', 'enrollment', 'enrollment', 'admin', 'Delete an enrollment configuration', { ok: 204 }),
  route('GET', '/v1/enrollment-configurations/{id}/profile', 'enrollment', 'enrollment', 'read', 'The signed enrollment profile of a configuration', { produces: MOBILECONFIG }),
  route('POST', '/v1/profiles', 'profile', 'profiles', 'profiles', 'Create a configuration profile from payload definitions checked against Apple\'s schema', { body: ProfileDefinitionRequest }),
  route('GET', '/v1/profiles', 'profile', 'profiles', 'read', 'Configuration profiles', { query: listQueryParams(ProfileListQuery) }),
  route('POST', '/v1/profiles/upload', 'profile', 'profiles', 'profiles', 'Create a profile from a .mobileconfig (signed or not)', { body: UploadProfileRequest }),
  route('GET', '/v1/profiles/{id}', 'profile', 'profiles', 'read', 'One configuration profile'),
  route('PUT', '/v1/profiles/{id}', 'profile', 'profiles', 'profiles', 'Replace a profile\'s definition (its version increases when the result changes)', { body: ProfileDefinitionRequest }),
  route('DELETE', '/v1/profiles/{id}', 'profile', 'profiles', 'profiles', 'Delete a profile', { ok: 204 }),
  route('GET', '/v1/profiles/{id}/mobileconfig', 'profile', 'profiles', 'read', 'The signed .mobileconfig of a profile version', { query: ['version', 'unsigned'], produces: MOBILECONFIG }),
  route('POST', '/v1/profiles/{id}/assignments', 'profile', 'profiles', 'profiles', 'Assign a profile to devices and device groups; what is missing is installed', { ok: 200, body: ProfileAssignmentRequest }),
  route('DELETE', '/v1/profiles/{id}/assignments', 'profile', 'profiles', 'profiles', 'Remove assignments; devices no longer targeted get a RemoveProfile', { ok: 200, body: ProfileAssignmentRequest }),
  route('GET', '/v1/profiles/{id}/assignments', 'profile', 'profiles', 'read', 'The devices and groups a profile is assigned to'),
  route('GET', '/v1/profiles/{id}/devices', 'profile', 'profiles', 'read', 'A profile\'s state on each device (pending, installed, failed, blocked, removing, removed)', { query: ['status', 'limit', 'offset'] }),
  route('GET', '/v1/devices/{udid}/profiles', 'profile', 'devices', 'read', 'A device\'s profiles with their state, conflicts, and the effective restrictions and passcode policy'),
  route('POST', '/v1/devices/{udid}/profiles/reconcile', 'profile', 'devices', 'profiles', 'Re-read the device\'s profiles (ProfileList) and retry what failed', { ok: 202 }),
  route('POST', '/v1/device-groups', 'profile', 'device groups', 'profiles', 'Create a static group (listed devices) or a dynamic one (a rule on supervision, iOS version, model)', { body: CreateDeviceGroupRequest }),
  route('GET', '/v1/device-groups', 'profile', 'device groups', 'read', 'Device groups with their device counts', { query: listQueryParams(DeviceGroupListQuery) }),
  route('GET', '/v1/device-groups/{id}', 'profile', 'device groups', 'read', 'One device group'),
  route('PATCH', '/v1/device-groups/{id}', 'profile', 'device groups', 'profiles', 'Rename a group or change its rule; profiles follow the new membership', { body: UpdateDeviceGroupRequest }),
  route('DELETE', '/v1/device-groups/{id}', 'profile', 'device groups', 'profiles', 'Delete a group; its profiles leave devices that no longer get them otherwise', { ok: 204 }),
  route('GET', '/v1/device-groups/{id}/members', 'profile', 'device groups', 'read', 'The devices in a group now'),
  route('POST', '/v1/device-groups/{id}/members', 'profile', 'device groups', 'profiles', 'Add devices to a static group', { ok: 200, body: GroupMembersRequest }),
  route('DELETE', '/v1/device-groups/{id}/members', 'profile', 'device groups', 'profiles', 'Take devices out of a static group', { ok: 200, body: GroupMembersRequest }),
  // Keys are credentials: even listing them (names, scopes, last use) takes `admin`, not `read`.
  route('POST', '/v1/api-keys', 'enrollment', 'api keys', 'admin', 'Create an API key with scopes (and an optional expiry); the answer holds the secret, shown this once', { body: CreateApiKeyRequest }),
  route('GET', '/v1/api-keys', 'enrollment', 'api keys', 'admin', 'API keys, revoked ones included (never their secrets)', { query: listQueryParams(ApiKeyListQuery) }),
  route('GET', '/v1/api-keys/{id}', 'enrollment', 'api keys', 'admin', 'One API key (never its secret)'),
  route('DELETE', '/v1/api-keys/{id}', 'enrollment', 'api keys', 'admin', 'Revoke an API key: it stops working at once on this gateway, within a few seconds on others; the row stays'),
  route('POST', '/v1/webhooks', 'integrations', 'webhooks', 'admin', 'Subscribe a URL to events (types or prefix.* patterns), signed with its secret (docs/events.md)', { body: CreateWebhookRequest }),
  route('GET', '/v1/webhooks', 'integrations', 'webhooks', 'read', 'Webhooks (never their secrets)', { query: listQueryParams(WebhookListQuery) }),
  route('GET', '/v1/webhooks/{id}', 'integrations', 'webhooks', 'read', 'One webhook'),
  route('PATCH', '/v1/webhooks/{id}', 'integrations', 'webhooks', 'admin', 'Change a webhook\'s URL, secret, events, format or enabled', { body: UpdateWebhookRequest }),
  route('DELETE', '/v1/webhooks/{id}', 'integrations', 'webhooks', 'admin', 'Delete a webhook and its deliveries', { ok: 204 }),
  route('GET', '/v1/webhooks/{id}/deliveries', 'integrations', 'webhooks', 'read', 'A webhook\'s deliveries, newest first, by status and event type', { query: ['status', 'type', 'limit', 'offset', 'sort', 'order'] }),
  route('GET', '/v1/webhooks/{id}/deliveries/{deliveryId}', 'integrations', 'webhooks', 'read', 'One delivery with every attempt'),
  route('POST', '/v1/webhooks/{id}/deliveries/{deliveryId}/retry', 'integrations', 'webhooks', 'admin', 'Send a delivery again now (also a dead or delivered one), with a fresh retry window', { ok: 200 }),
  route('POST', '/v1/webhooks/{id}/replay', 'integrations', 'webhooks', 'admin', 'Queue the webhook\'s past events of a time range again', { ok: 202, body: ReplayWebhookRequest }),
];
