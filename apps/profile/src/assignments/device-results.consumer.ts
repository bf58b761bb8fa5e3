import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type EventData, type EventType, FeedConsumer, type MdmEvent } from '@mdm/contracts';
import { DeviceFactsStore, DeviceProfileResultsStore, type FeedEvent, FollowFeed, recordEvents } from '@mdm/persistence';
import { derivedUuid } from '../profiles/profile-definition';
import { REMOVE_FAILED, VERIFYING } from './plan';
import { ProfileCommandsSubmitter } from './profile-commands.submitter';
import { RECONCILE_CHUNK, ReconcilerService } from './reconciler.service';

/** What the profile service follows in the event feed. */
const FOLLOWED: readonly EventType[] = [
  'command.acknowledged',
  'command.error',
  'command.format_error',
  'command.canceled',
  'command.expired',
  'command.blocked',
  'device.authenticated',
  'device.enrolled',
  'device.checked_out',
];

type CommandEventData = EventData<'command.acknowledged'>;

interface ListedProfile {
  identifier: string;
  uuid: string | null;
}

/**
 * Learns what devices hold and did from the event feed, in the feed's transaction (so each event
 * changes profile state exactly once): InstallProfile / RemoveProfile results, ProfileList answers
 * (whoever asked), inventory answers (supervision, iOS version), enrollment and check-out. Each
 * touched device is then reconciled, in the same transaction.
 */
@Injectable()
export class DeviceResultsConsumer {
  constructor(
    private readonly reconciler: ReconcilerService,
    private readonly submitter: ProfileCommandsSubmitter,
  ) {}

  /** The commands the handler planned go out once its transaction committed. */
  submitPlanned(): void {
    this.submitter.kick();
  }

  @FollowFeed(FeedConsumer.Profile, { types: FOLLOWED, limit: RECONCILE_CHUNK, afterCommit: 'submitPlanned' })
  async handle(tx: EntityManager, events: FeedEvent[]): Promise<void> {
    const touched = new Set<string>();
    const verify = new Map<string, { udid: string }>();
    // Every device of the batch is locked before any of its rows is touched (see lockDevices).
    const udids = [...new Set(events.filter((e) => e.type.startsWith('device.')).map((e) => (e.data as { udid: string }).udid))];
    const known = await DeviceFactsStore.byUdid(tx, udids);
    const idOf = new Map(known.map((d) => [d.udid, d.id]));
    const commandDevices = events.filter((e) => e.type.startsWith('command.')).map((e) => (e.data as CommandEventData).deviceId);
    await this.reconciler.lockDevices(tx, [...known.map((d) => d.id), ...commandDevices]);
    for (const event of events) {
      const data = event.data as { deviceId?: string; udid?: string };
      if (event.type.startsWith('command.')) {
        const c = event.data as CommandEventData;
        if (await this.onCommandResult(tx, event.type, c, verify)) touched.add(c.deviceId);
        continue;
      }
      const deviceId = idOf.get(data.udid ?? '');
      if (!deviceId) continue;
      if (event.type === 'device.checked_out' || (event.type === 'device.authenticated' && (event.data as EventData<'device.authenticated'>).reenrollment)) {
        await this.forgetInstalled(tx, deviceId, data.udid ?? '');
      }
      touched.add(deviceId);
    }
    await this.reconciler.reconcile(tx, [...touched]);
    await this.reconciler.planProfileList(tx, [...verify.values()]);
  }

  /** Returns whether the device should be reconciled. */
  private async onCommandResult(tx: EntityManager, type: EventType, c: CommandEventData, verify: Map<string, { udid: string }>): Promise<boolean> {
    if (c.requestType === 'DeviceInformation') return type === 'command.acknowledged';
    if (c.requestType === 'ProfileList') {
      if (type !== 'command.acknowledged') return false;
      await this.applyProfileList(tx, c.deviceId, c.udid, listed(c.answer?.['ProfileList']));
      return true;
    }
    if (c.requestType !== 'InstallProfile' && c.requestType !== 'RemoveProfile') return false;
    const row = await DeviceProfileResultsStore.awaiting(tx, c.commandUuid, c.deviceId);
    // Not one of ours (an operator's own InstallProfile), or superseded by a check-out.
    if (!row) return false;
    const base = { udid: c.udid, deviceId: c.deviceId, profileId: row.profileId, identifier: row.identifier, version: row.actionVersion ?? 1 };
    if (type === 'command.acknowledged' && row.action === 'install') {
      await DeviceProfileResultsStore.installAcknowledged(tx, c.deviceId, row.profileId, VERIFYING);
      verify.set(c.deviceId, { udid: c.udid });
    } else if (type === 'command.acknowledged') {
      await DeviceProfileResultsStore.removed(tx, c.deviceId, row.profileId);
      await recordEvents(tx, [{ type: 'profile.removed', data: { ...base, cause: row.profileExists ? 'unassigned' : 'deleted' } }]);
    } else {
      const reason = failureReason(type, c);
      const failedVersion = row.action === 'remove' ? REMOVE_FAILED : row.actionVersion;
      await DeviceProfileResultsStore.failed(tx, c.deviceId, row.profileId, { reason, errorChain: c.errorChain ?? null, failedVersion });
      await recordEvents(tx, [{ type: 'profile.failed', data: c.errorChain ? { ...base, reason, errorChain: c.errorChain } : { ...base, reason } }]);
    }
    return true;
  }

  /**
   * A ProfileList answer is the truth about what the device holds: each of our profiles it lists is
   * installed at the version whose PayloadUUID it shows (0: a version we can't tell, so outdated).
   */
  private async applyProfileList(tx: EntityManager, deviceId: string, udid: string, list: ListedProfile[]): Promise<void> {
    const rows = await DeviceProfileResultsStore.forProfileList(tx, deviceId);
    const events: MdmEvent[] = [];
    for (const r of rows) {
      const entry = list.find((l) => l.identifier === r.identifier);
      const installed = entry ? versionOf(r.profileId, entry.uuid, r.maxVersion ?? r.desiredVersion ?? 0) : null;
      const base = { udid, deviceId, profileId: r.profileId, identifier: r.identifier, version: r.desiredVersion ?? installed ?? 1 };
      let status = r.status;
      let reason = r.reason;
      if (r.action) {
        // A command in flight decides the status when its result comes.
      } else if (r.desired && installed !== null && installed === r.desiredVersion) {
        if (status !== 'installed') events.push({ type: 'profile.installed', data: base });
        status = 'installed';
        reason = null;
      } else if (r.desired && r.reason === VERIFYING) {
        status = 'failed';
        reason = `the device acknowledged InstallProfile but its ProfileList shows ${installed === null ? 'no such profile' : `version ${installed || 'unknown'}`}`;
        events.push({ type: 'profile.failed', data: { ...base, reason } });
      } else if (!r.desired && installed === null && status !== 'failed') {
        status = 'removed';
        reason = null;
      }
      await DeviceProfileResultsStore.listed(tx, deviceId, r.profileId, { installedVersion: installed, status, reason, newlyFailed: status === 'failed' && r.status !== 'failed' });
    }
    await recordEvents(tx, events);
  }

  /** The enrollment ended (check-out, or a new Authenticate): iOS removed every managed profile with it. */
  private async forgetInstalled(tx: EntityManager, deviceId: string, udid: string): Promise<void> {
    const gone = await DeviceProfileResultsStore.forgetInstalled(tx, deviceId, 'the device left management; installed again when it enrolls');
    await recordEvents(
      tx,
      gone.map((g) => ({
        type: 'profile.removed' as const,
        data: { udid, deviceId, profileId: g.profileId, identifier: g.identifier, version: Math.max(1, g.installedVersion), cause: 'checked-out' as const },
      })),
    );
  }

}

/** The version whose derived PayloadUUID the device shows; 0 when none of ours matches. */
function versionOf(profileId: string, uuid: string | null, maxVersion: number): number {
  if (!uuid) return 0;
  for (let v = maxVersion; v >= 1; v--) if (derivedUuid(`${profileId}/${v}`) === uuid.toUpperCase()) return v;
  return 0;
}

/** The identifiers and UUIDs of a ProfileList answer (JSON, as the command service stores it). */
function listed(value: unknown): ListedProfile[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (!item || typeof item !== 'object') return [];
    const dict = item as Record<string, unknown>;
    const identifier = dict['PayloadIdentifier'];
    const uuid = dict['PayloadUUID'];
    return typeof identifier === 'string' ? [{ identifier, uuid: typeof uuid === 'string' ? uuid : null }] : [];
  });
}

function failureReason(type: EventType, c: CommandEventData): string {
  const first = c.errorChain?.[0] as { LocalizedDescription?: unknown; ErrorDomain?: unknown; ErrorCode?: unknown } | undefined;
  if (first) {
    const description = typeof first.LocalizedDescription === 'string' ? first.LocalizedDescription : 'no description';
    return `${c.requestType} failed: ${description} (${String(first.ErrorDomain)} ${String(first.ErrorCode)})`;
  }
  const status = type.slice('command.'.length).replace('_', ' ');
  return `${c.requestType} ${status}${c.reason ? `: ${c.reason}` : ''}`;
}
