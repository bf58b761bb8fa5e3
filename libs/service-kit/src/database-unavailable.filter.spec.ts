import { Controller, Get, type INestApplication, Module, NotFoundException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { QueryFailedError } from 'typeorm';
import { DatabaseUnavailableFilter, isDatabaseUnavailable } from './database-unavailable.filter';

const pgError = (code: string, message: string): Error => Object.assign(new Error(message), { code });

@Controller()
class FailingController {
  @Get('restarting')
  restarting(): never {
    throw new QueryFailedError('SELECT 1', [], pgError('57P01', 'terminating connection due to administrator command'));
  }

  @Get('gone')
  gone(): never {
    throw new Error('Connection terminated unexpectedly');
  }

  @Get('bug')
  bug(): never {
    throw new TypeError('a real bug');
  }

  @Get('missing')
  missing(): never {
    throw new NotFoundException('no such thing');
  }
}

@Module({ controllers: [FailingController] })
class FailingModule {}

describe('DatabaseUnavailableFilter', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await NestFactory.create(FailingModule, { logger: false });
    app.useGlobalFilters(new DatabaseUnavailableFilter(app.getHttpAdapter()));
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  it('tells a lost database from other errors', () => {
    expect(isDatabaseUnavailable(pgError('57P03', 'the database system is starting up'))).toBe(true);
    expect(isDatabaseUnavailable(pgError('08006', 'connection failure'))).toBe(true);
    expect(isDatabaseUnavailable(new QueryFailedError('x', [], pgError('23505', 'duplicate key')))).toBe(false);
    expect(isDatabaseUnavailable(new Error('something else'))).toBe(false);
  });

  it('answers 503 with Retry-After when Postgres restarts or is gone, and leaves other errors alone', async () => {
    for (const path of ['restarting', 'gone']) {
      const res = await fetch(`${base}/${path}`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(((await res.json()) as { message: string }).message).toMatch(/database is unavailable/);
    }
    expect((await fetch(`${base}/bug`)).status).toBe(500);
    expect((await fetch(`${base}/missing`)).status).toBe(404);
  });
});
