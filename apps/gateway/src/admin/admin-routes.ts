import type { z } from 'zod';
import { CreateCommandsRequest, CreateEnrollmentConfigurationRequest, PostApnsCertificatesRequest, PostApnsCsrRequest, ProfileDefinitionRequest, PushDevicesRequest, PutApnsCertificateRequest, UploadProfileRequest } from '@mdm/contracts';
import type { Upstream } from '../upstream/upstream.client';

export interface AdminRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: RegExp;
  service: Upstream;
  /** Validated at the edge so bad input never crosses a hop; the owner parses again. */
  body?: z.ZodType;
}

/** Which service owns which part of the admin API. */
export const ADMIN_ROUTES: readonly AdminRoute[] = [
  { method: 'PUT', path: /^\/v1\/apns\/certificate$/, service: 'enrollment', body: PutApnsCertificateRequest },
  { method: 'GET', path: /^\/v1\/apns\/certificate$/, service: 'enrollment' },
  { method: 'POST', path: /^\/v1\/apns\/certificates$/, service: 'enrollment', body: PostApnsCertificatesRequest },
  { method: 'GET', path: /^\/v1\/apns\/certificates$/, service: 'enrollment' },
  { method: 'POST', path: /^\/v1\/apns\/csr$/, service: 'enrollment', body: PostApnsCsrRequest },
  { method: 'POST', path: /^\/v1\/commands$/, service: 'command', body: CreateCommandsRequest },
  { method: 'GET', path: /^\/v1\/commands\/[^/]+$/, service: 'command' },
  { method: 'POST', path: /^\/v1\/push$/, service: 'command', body: PushDevicesRequest },
  { method: 'GET', path: /^\/v1\/devices\/[^/]+\/commands$/, service: 'command' },
  { method: 'GET', path: /^\/v1\/devices\/[^/]+$/, service: 'enrollment' },
  { method: 'GET', path: /^\/v1\/devices$/, service: 'enrollment' },
  { method: 'GET', path: /^\/v1\/events$/, service: 'enrollment' },
  { method: 'GET', path: /^\/v1\/enrollment\/profile$/, service: 'enrollment' },
  { method: 'POST', path: /^\/v1\/enrollment-configurations$/, service: 'enrollment', body: CreateEnrollmentConfigurationRequest },
  { method: 'GET', path: /^\/v1\/enrollment-configurations$/, service: 'enrollment' },
  { method: 'GET', path: /^\/v1\/enrollment-configurations\/[^/]+$/, service: 'enrollment' },
  { method: 'DELETE', path: /^\/v1\/enrollment-configurations\/[^/]+$/, service: 'enrollment' },
  { method: 'GET', path: /^\/v1\/enrollment-configurations\/[^/]+\/profile$/, service: 'enrollment' },
  { method: 'POST', path: /^\/v1\/profiles$/, service: 'profile', body: ProfileDefinitionRequest },
  { method: 'GET', path: /^\/v1\/profiles$/, service: 'profile' },
  { method: 'POST', path: /^\/v1\/profiles\/upload$/, service: 'profile', body: UploadProfileRequest },
  { method: 'GET', path: /^\/v1\/profiles\/[^/]+$/, service: 'profile' },
  { method: 'PUT', path: /^\/v1\/profiles\/[^/]+$/, service: 'profile', body: ProfileDefinitionRequest },
  { method: 'DELETE', path: /^\/v1\/profiles\/[^/]+$/, service: 'profile' },
  { method: 'GET', path: /^\/v1\/profiles\/[^/]+\/mobileconfig$/, service: 'profile' },
];
