import type { ChildProcess } from 'node:child_process';

export type ServiceName = 'enrollment' | 'command' | 'push' | 'profile' | 'integrations' | 'gateway';
export interface RunningService {
  name: ServiceName;
  port: number;
  /** The internal metrics port of a service that has one (the gateway's METRICS_PORT). */
  metricsPort?: number;
  child: ChildProcess;
  ready: Promise<void>;
}
export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  ports?: Partial<Record<ServiceName, number>>;
  /** METRICS_PORT of the services that serve /metrics on a port of their own (the gateway). */
  metricsPorts?: Partial<Record<ServiceName, number>>;
  onOutput?: (name: ServiceName, line: string) => void;
  timeoutMs?: number;
}
export declare const SERVICES: ReadonlyArray<{ name: ServiceName; port: number; portVariable: string; metricsPort?: number; metricsPortVariable?: string }>;
export declare const ROOT: string;
export declare function startService(name: ServiceName, opts?: StartOptions): RunningService;
export declare function stopService(svc: RunningService, signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
export declare function startAll(opts?: StartOptions): Promise<RunningService[]>;
export declare function choosePorts(
  env: NodeJS.ProcessEnv,
  opts?: Pick<StartOptions, 'ports' | 'metricsPorts'>,
): Promise<{ ports: Record<ServiceName, number>; metricsPorts: Partial<Record<ServiceName, number>> }>;
export declare function describeListeners(running: readonly RunningService[], env?: NodeJS.ProcessEnv): string[];
