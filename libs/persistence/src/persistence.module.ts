import { type DynamicModule, Global, Inject, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { initializeWithRetry } from './connect-with-retry';
import { dataSourceOptions, runMigrations } from './data-source';

export interface PersistenceOptions {
  url: string;
  poolSize?: number;
  /** Apply pending migrations at start (under an advisory lock). */
  migrate: boolean;
}

const OPTIONS = Symbol('PersistenceOptions');

class MigrateOnBoot implements OnModuleInit {
  private readonly logger = new Logger('Persistence');
  constructor(
    private readonly dataSource: DataSource,
    @Inject(OPTIONS) private readonly options: PersistenceOptions,
  ) {}
  async onModuleInit(): Promise<void> {
    if (!this.options.migrate) return;
    const applied = await runMigrations(this.dataSource);
    if (applied.length) this.logger.log(`applied migrations: ${applied.join(', ')}`);
  }
}

/** TypeORM on Postgres with every entity registered; apps inject repositories or the DataSource. */
@Global()
@Module({})
export class PersistenceModule {
  static forRoot(options: PersistenceOptions): DynamicModule {
    return {
      module: PersistenceModule,
      imports: [
        // initializeWithRetry waits for Postgres itself, saying so once; Nest's own retry would log every attempt.
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSourceOptions(options.url, options.poolSize), toRetry: () => false }),
          dataSourceFactory: (given) => initializeWithRetry(given ?? dataSourceOptions(options.url, options.poolSize)),
        }),
      ],
      providers: [{ provide: OPTIONS, useValue: options }, { provide: MigrateOnBoot, inject: [DataSource, OPTIONS], useFactory: (ds: DataSource, o: PersistenceOptions) => new MigrateOnBoot(ds, o) }],
      exports: [TypeOrmModule],
    };
  }
}
