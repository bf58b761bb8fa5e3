import { OPEN_COMMAND_STATUSES } from '@mdm/contracts';
import { OPEN_STATUS_LIST } from './command-deliveries.store';

describe('OPEN_STATUS_LIST', () => {
  it('spells out exactly the open command statuses, as the partial index predicate does', () => {
    expect(OPEN_STATUS_LIST).toBe(`(${OPEN_COMMAND_STATUSES.map((s) => `'${s}'`).join(', ')})`);
  });
});
