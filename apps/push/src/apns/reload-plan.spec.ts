import { reloadPlan } from './reload-plan';

const row = (topic: string, fingerprint: string): { topic: string; fingerprint: string } => ({ topic, fingerprint });

describe('reloadPlan', () => {
  it('drops the client of a topic whose certificate a forced upload replaced with another topic', () => {
    const loaded = new Map([['com.apple.mgmt.old', { fingerprint: 'f1' }]]);
    const plan = reloadPlan(loaded, [row('com.apple.mgmt.new', 'f2')]);
    expect(plan).toEqual({ load: [row('com.apple.mgmt.new', 'f2')], keep: [], drop: ['com.apple.mgmt.old'] });
  });

  it('rebuilds a renewed topic, keeps an unchanged one, and drops every client when nothing is stored', () => {
    const loaded = new Map([
      ['a', { fingerprint: 'f1' }],
      ['b', { fingerprint: 'f2' }],
    ]);
    expect(reloadPlan(loaded, [row('a', 'f1'), row('b', 'f3')])).toEqual({ load: [row('b', 'f3')], keep: [row('a', 'f1')], drop: [] });
    expect(reloadPlan(loaded, []).drop).toEqual(['a', 'b']);
  });
});
