/**
 * Followers of the event feed. The values are cursor keys in Postgres (`event_cursors.consumer`):
 * renaming one starts that follower again from the beginning of the feed, so add a new name instead.
 */
export const FeedConsumer = {
  /** The profile service: command results, inventory answers and enrollments drive desired state. */
  Profile: 'profile-service',
  /** The command service: the first inventory of a newly enrolled device. */
  CommandInventory: 'command-inventory',
  /** The command service: pushes APNs accepted turn QUEUED commands into SENT. */
  CommandPushSent: 'command-push-sent',
  /** The command service: a re-enrollment or a check-out cancels what the device's earlier enrollment left queued. */
  CommandDeviceLifecycle: 'command-device-lifecycle',
  /** The enrollment service: the facts of DeviceInformation answers update the device's own columns. */
  EnrollmentDevices: 'enrollment-devices',
  /** The integrations service: events become webhook deliveries. */
  Webhooks: 'webhooks',
} as const;
export type FeedConsumer = (typeof FeedConsumer)[keyof typeof FeedConsumer];
