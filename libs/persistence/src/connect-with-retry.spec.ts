import { isPostgresUnreachable, postgresEndpoint } from './connect-with-retry';

describe('Postgres reachability', () => {
  it('waits for an unreachable or starting server, not for a refusal', () => {
    expect(isPostgresUnreachable(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5499'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isPostgresUnreachable(Object.assign(new Error('the database system is starting up'), { code: '57P03' }))).toBe(true);
    expect(isPostgresUnreachable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isPostgresUnreachable(Object.assign(new Error('password authentication failed for user "mdm"'), { code: '28P01' }))).toBe(false);
    expect(isPostgresUnreachable(Object.assign(new Error('database "x" does not exist'), { code: '3D000' }))).toBe(false);
  });

  it('names host, port and database without the credentials', () => {
    expect(postgresEndpoint('postgres://mdm:secret@db.internal:5433/mdm')).toBe('db.internal:5433/mdm');
  });
});
