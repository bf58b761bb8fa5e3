/** Command status per device, in the vocabulary operators know from other MDM consoles. */
export const CommandStatus = {
  Queued: 'QUEUED',
  /** APNs accepted the push that announces the command. */
  Sent: 'SENT',
  /** The command was handed to the device in a connect response. */
  Push: 'PUSH',
  NotNow: 'NOTNOW',
  Acknowledged: 'ACKNOWLEDGED',
  Error: 'ERROR',
  FormatError: 'FORMAT_ERROR',
  Canceled: 'CANCELED',
  Expired: 'EXPIRED',
  /** Never sent: the device can't run it (needs supervision, or a newer iOS); the reason says which. */
  Blocked: 'BLOCKED',
} as const;
export type CommandStatus = (typeof CommandStatus)[keyof typeof CommandStatus];

/** Statuses after which nothing more happens to a command on that device. */
export const FINAL_COMMAND_STATUSES: readonly CommandStatus[] = [
  CommandStatus.Acknowledged,
  CommandStatus.Error,
  CommandStatus.FormatError,
  CommandStatus.Blocked,
  CommandStatus.Canceled,
  CommandStatus.Expired,
];

/** Statuses of a command that is still to be fetched or answered by the device: its queue. */
export const OPEN_COMMAND_STATUSES: readonly CommandStatus[] = [
  CommandStatus.Queued,
  CommandStatus.Sent,
  CommandStatus.Push,
  CommandStatus.NotNow,
];
