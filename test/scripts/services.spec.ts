import { createServer, type Server } from 'node:net';
import { freePort } from '@mdm/testing';
import { choosePorts } from '../../scripts/services';

/** Holds a port as "another process" would; resolves undefined when someone else has it already. */
function occupy(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, () => resolve(server));
  });
}

describe('choosePorts (npm start)', () => {
  const held: Server[] = [];
  afterEach(async () => {
    await Promise.all(held.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('honours PORT for the gateway and a variable per internal service', async () => {
    const [gateway, command, metrics] = [await freePort(), await freePort(), await freePort()];
    const { ports, metricsPorts } = await choosePorts({ PORT: String(gateway), COMMAND_PORT: String(command), METRICS_PORT: String(metrics) });
    expect(ports.gateway).toBe(gateway);
    expect(ports.command).toBe(command);
    expect(metricsPorts.gateway).toBe(metrics);
  });

  it('moves an internal service whose default port is taken to a free one', async () => {
    const other = await occupy(8084);
    if (other) held.push(other);
    const { ports } = await choosePorts({ PORT: String(await freePort()) });
    expect(ports.profile).not.toBe(8084);
    expect(new Set(Object.values(ports)).size).toBe(6);
  });

  it('refuses a port set in the environment that is taken, naming the variable', async () => {
    const port = await freePort();
    const other = await occupy(port);
    if (other) held.push(other);
    await expect(choosePorts({ PORT: String(await freePort()), PUSH_PORT: String(port) })).rejects.toThrow(`port ${port} (push, PUSH_PORT) is in use by another process`);
  });

  it('refuses one port for two listeners and a value that is not a port', async () => {
    await expect(choosePorts({ PORT: '18080', METRICS_PORT: '18080' })).rejects.toThrow(/one port for two listeners: gateway 18080 \(PORT\), gateway metrics 18080 \(METRICS_PORT\)/);
    await expect(choosePorts({ PORT: 'eighty' })).rejects.toThrow('PORT=eighty: must be a port number (1-65535)');
  });

  it('leaves ports given by the caller alone (the end-to-end harness picks its own)', async () => {
    const given = { enrollment: 1, command: 2, push: 3, profile: 4, integrations: 5, gateway: 6 };
    expect(await choosePorts({}, { ports: given, metricsPorts: { gateway: 7 } })).toEqual({ ports: given, metricsPorts: { gateway: 7 } });
  });
});
