import { z } from 'zod';
import { Udid } from './api';

const OsVersion = z.string().regex(/^\d+(\.\d+){0,2}$/, 'must be an iOS version such as 17 or 17.4.1');

/**
 * Which devices a dynamic group holds: every condition given must match (a fact the device has not
 * reported yet never matches). Evaluated whenever the device's facts change.
 */
export const DeviceGroupRule = z
  .object({
    supervised: z.boolean().optional(),
    minOsVersion: OsVersion.optional(),
    maxOsVersion: OsVersion.optional(),
    /** Prefix of ProductName: `iPad` for every iPad, `iPhone15,` for one family. */
    productName: z.string().min(1).optional(),
  })
  .strict()
  .refine((r) => Object.keys(r).length > 0, 'rule must name at least one condition (or leave it out for a static group)');
export type DeviceGroupRule = z.infer<typeof DeviceGroupRule>;

export const CreateDeviceGroupRequest = z
  .object({
    name: z.string().min(1).max(200),
    description: z.string().max(2000).optional(),
    /** Absent: a static group whose members are listed with POST /v1/device-groups/{id}/members. */
    rule: DeviceGroupRule.optional(),
    udids: z.array(Udid).max(100_000).optional(),
  })
  .strict()
  .refine((g) => !(g.rule && g.udids), 'udids: a group with a rule has no listed members');
export type CreateDeviceGroupRequest = z.infer<typeof CreateDeviceGroupRequest>;

export const UpdateDeviceGroupRequest = z
  .object({
    name: z.string().min(1).max(200).optional(),
    description: z.string().max(2000).nullable().optional(),
    rule: DeviceGroupRule.optional(),
  })
  .strict();
export type UpdateDeviceGroupRequest = z.infer<typeof UpdateDeviceGroupRequest>;

export const GroupMembersRequest = z.object({ udids: z.array(Udid).min(1, 'udids must name at least one device').max(100_000) }).strict();

/** Targets of a profile: devices by UDID, groups by id. */
export const ProfileAssignmentRequest = z
  .object({
    udids: z.array(Udid).max(100_000).default([]),
    groupIds: z.array(z.string().uuid('must be a device group id')).max(1000).default([]),
  })
  .strict()
  .refine((a) => a.udids.length + a.groupIds.length > 0, 'name at least one device (udids) or group (groupIds)');
export type ProfileAssignmentRequest = z.infer<typeof ProfileAssignmentRequest>;

/** Per device and profile, as operators see it. */
export const DeviceProfileStatus = z.enum(['pending', 'installed', 'failed', 'blocked', 'removing', 'removed']);
export type DeviceProfileStatus = z.infer<typeof DeviceProfileStatus>;

export const ProfileDevicesQuery = z.object({
  status: DeviceProfileStatus.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
