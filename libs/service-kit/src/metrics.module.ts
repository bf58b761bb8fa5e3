import type { Server } from 'node:http';
import { Controller, Get, Global, Inject, Injectable, Module, Res, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { METRICS_REGISTRY } from '@mdm/messaging';
import { EventFeedHost } from '@mdm/persistence';
import { registerEventFeedLag, ServiceMetrics } from './metrics';
import { closeProbes, serveProbes } from './probe-server';

/** An internal listener of its own for `/metrics` (and `/health`). */
export interface MetricsListenerOptions {
  port: number;
  host: string;
}

export interface MetricsModuleOptions {
  /**
   * Where `GET /metrics` is served: `'app'` through Nest on the service's own port (internal services);
   * a listener of its own (`{ port, host }`, with `/health`) so the app's port has no `/metrics`, for a
   * service whose port is public (the gateway); `'none'` for workers, which serve it with `serveHealth`.
   */
  serve: 'app' | 'none' | MetricsListenerOptions;
}

const METRICS_OPTIONS = Symbol('MetricsOptions');

@Controller('metrics')
class MetricsController {
  constructor(private readonly metrics: ServiceMetrics) {}

  /** Prometheus scrapes this; internal like every service port but the gateway's, which uses a listener instead. */
  @Get()
  async scrape(@Res() res: Response): Promise<void> {
    const { contentType, body } = await this.metrics.source();
    res.type(contentType).send(body);
  }
}

/** Registers what needs other providers (the data source) once the app's modules exist. */
@Injectable()
class MetricsWiring implements OnModuleInit {
  constructor(
    private readonly metrics: ServiceMetrics,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** The lag of every feed consumer this service follows (its @FollowFeed handlers). */
  onModuleInit(): void {
    const consumers = this.feedHost()?.consumers() ?? [];
    if (consumers.length) registerEventFeedLag(this.metrics.registry, this.moduleRef.get(DataSource, { strict: false }), consumers);
  }

  private feedHost(): EventFeedHost | undefined {
    try {
      return this.moduleRef.get(EventFeedHost, { strict: false });
    } catch {
      return undefined;
    }
  }
}

/**
 * The internal metrics listener: opened while the app starts (before its own port listens, so a port in
 * use fails the start), closed with the app.
 */
@Injectable()
class MetricsListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: Server | undefined;

  constructor(
    private readonly metrics: ServiceMetrics,
    @Inject(METRICS_OPTIONS) private readonly options: MetricsModuleOptions,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { serve } = this.options;
    if (typeof serve === 'object') this.server = await serveProbes({ port: serve.port, host: serve.host, metrics: this.metrics });
  }

  onApplicationShutdown(): void {
    if (this.server) closeProbes(this.server);
  }
}

/**
 * One `ServiceMetrics` per process, global so every module registers its metrics on the same registry
 * (and `@mdm/messaging` its queue metrics, through `METRICS_REGISTRY`). `startHttpService` and
 * `startWorkerContext` mount it; apps do not import it themselves.
 */
@Global()
@Module({})
export class MetricsModule {
  static forRoot(service: string, options: MetricsModuleOptions): DynamicModule {
    const metrics = new ServiceMetrics(service);
    return {
      module: MetricsModule,
      controllers: options.serve === 'app' ? [MetricsController] : [],
      providers: [
        { provide: ServiceMetrics, useValue: metrics },
        { provide: METRICS_REGISTRY, useValue: metrics.registry },
        { provide: METRICS_OPTIONS, useValue: options },
        MetricsWiring,
        ...(typeof options.serve === 'object' ? [MetricsListener] : []),
      ],
      exports: [ServiceMetrics, METRICS_REGISTRY],
    };
  }
}
