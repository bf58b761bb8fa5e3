import type { CommandDeliveryView } from '@mdm/contracts';
import { ago } from '../format';
import type { ErrorChainEntry } from '../push-errors';
import { ErrorChain, StatusBadge } from './badges';
import type { Column } from './table';

/** An instant as "3 min ago" (the date beyond a week), the exact time in its title. */
export function Ago({ at }: { at: string | null | undefined }) {
  return <span title={at ?? undefined}>{ago(at)}</span>;
}

/** A column of one instant per row, shown as `Ago`; `sort` is the API's sort field when it can be sorted. */
export function timeColumn<T>(label: string, at: (row: T) => string | null | undefined, sort?: string): Column<T> {
  return { label, render: (row) => <Ago at={at(row)} />, ...(sort ? { sort } : {}) };
}

/** A command's delivery to one device, as `GET /v1/commands/{uuid}` and `GET /v1/devices/{udid}/commands` list it. */
export type Delivery = WithErrorChain<CommandDeliveryView>;

/** A view whose `errorChain` is read as Apple sends it: a list of dicts. */
export type WithErrorChain<T extends { errorChain: unknown }> = Omit<T, 'errorChain'> & { errorChain: ErrorChainEntry[] | null };

/**
 * Status and detail (reason, NotNow count, Apple's error chain, the device's answer) of deliveries:
 * a device's command history and a command's device list show them alike.
 */
export function deliveryColumns<T extends Delivery>(): Array<Column<T>> {
  return [
    { label: 'Status', render: (d) => <StatusBadge status={d.status} /> },
    {
      label: 'Detail',
      render: (d) => (
        <div>
          {d.statusReason ? <div>{d.statusReason}</div> : null}
          {d.notNowCount ? <div className="muted">NotNow ×{d.notNowCount}</div> : null}
          <ErrorChain chain={d.errorChain} />
          {d.result ? (
            <details>
              <summary>answer</summary>
              <pre>{JSON.stringify(d.result, null, 2)}</pre>
            </details>
          ) : null}
        </div>
      ),
    },
  ];
}
