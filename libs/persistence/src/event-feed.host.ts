import { type BeforeApplicationShutdown, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { DataSource, type EntityManager } from 'typeorm';
import type { FeedConsumer } from '@mdm/contracts';
import { EventFeedRunner, type FeedEvent } from './event-feed';
import { FOLLOW_FEED, type FollowFeedSpec } from './follow-feed.decorator';

export interface EventFeedOptions {
  /** Pause between reads once a consumer has caught up (and before retrying a failed pass). */
  intervalMs: number;
  /** Events read per transaction for consumers whose `@FollowFeed` names no limit. */
  limit?: number;
  /** Consumers switched off by configuration: never run, their cursor kept and their lag still reported. */
  paused?: readonly FeedConsumer[];
}

export const EVENT_FEED_OPTIONS = Symbol('EventFeedOptions');

type Handler = (tx: EntityManager, events: FeedEvent[]) => Promise<void>;
type TypesNow = (tx: EntityManager) => Promise<readonly string[] | undefined>;

/**
 * Finds every `@FollowFeed` handler and runs one `EventFeedRunner` per consumer: started once the app is up,
 * stopped (the pass in hand finishing) before its connections close. The app refuses to boot if a consumer
 * has two handlers or an `afterCommit` that is not a method.
 */
@Injectable()
export class EventFeedHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('EventFeed');
  private runners: Map<FeedConsumer, EventFeedRunner> | undefined;

  constructor(
    @Inject(EVENT_FEED_OPTIONS) private readonly options: EventFeedOptions,
    private readonly dataSource: DataSource,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  /** The consumers this app follows (their lag is reported on /metrics). */
  consumers(): FeedConsumer[] {
    return [...this.found().keys()];
  }

  /** Runs one consumer now until it has caught up; returns the events handled (tests, and callers that just wrote what it should see). */
  drain(consumer: FeedConsumer): Promise<number> {
    const runner = this.found().get(consumer);
    if (!runner) throw new Error(`this app does not follow the feed as ${consumer}`);
    return runner.drain();
  }

  onApplicationBootstrap(): void {
    for (const [consumer, runner] of this.found()) if (!this.options.paused?.includes(consumer)) runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all([...this.found().values()].map((r) => r.stop()));
  }

  private found(): Map<FeedConsumer, EventFeedRunner> {
    this.runners ??= this.collect();
    return this.runners;
  }

  private collect(): Map<FeedConsumer, EventFeedRunner> {
    const runners = new Map<FeedConsumer, EventFeedRunner>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object') continue;
      const methods = instance as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance) as object)) {
        const fn = methods[method];
        if (typeof fn !== 'function') continue;
        const spec = this.reflector.get<FollowFeedSpec | undefined>(FOLLOW_FEED, fn as Handler);
        if (!spec) continue;
        if (runners.has(spec.consumer)) throw new Error(`feed consumer ${spec.consumer} has two @FollowFeed handlers`);
        runners.set(spec.consumer, this.runner(spec, (fn as Handler).bind(instance), afterCommitOf(spec, methods, method), typesFromOf(spec, methods, method)));
      }
    }
    return runners;
  }

  private runner(spec: FollowFeedSpec, handle: Handler, afterCommit: (() => void) | undefined, typesNow: TypesNow | undefined): EventFeedRunner {
    const limit = spec.limit ?? this.options.limit;
    if (!limit) throw new Error(`@FollowFeed(${spec.consumer}) names no limit and the app's EventFeedModule has none`);
    const options = { types: spec.types, typesNow, limit, intervalMs: this.options.intervalMs };
    return new EventFeedRunner(this.dataSource, spec.consumer, options, handle, this.logger, afterCommit);
  }
}

function afterCommitOf(spec: FollowFeedSpec, instance: Record<string, unknown>, handler: string): (() => void) | undefined {
  if (!spec.afterCommit) return undefined;
  const hook = instance[spec.afterCommit];
  if (typeof hook !== 'function') throw new Error(`@FollowFeed on ${handler}: afterCommit ${spec.afterCommit} is not a method`);
  return () => (hook as () => void).call(instance);
}

function typesFromOf(spec: FollowFeedSpec, instance: Record<string, unknown>, handler: string): TypesNow | undefined {
  if (!spec.typesFrom) return undefined;
  const method = instance[spec.typesFrom];
  if (typeof method !== 'function') throw new Error(`@FollowFeed on ${handler}: typesFrom ${spec.typesFrom} is not a method`);
  return (tx) => (method as TypesNow).call(instance, tx);
}
