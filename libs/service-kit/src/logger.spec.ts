import { Writable } from 'node:stream';
import pino from 'pino';
import { PinoNestLogger, resolveLogFormat } from './logger';

describe('log format', () => {
  it('is pretty on a terminal and JSON elsewhere, unless LOG_FORMAT says', () => {
    expect(resolveLogFormat(undefined, true)).toBe('pretty');
    expect(resolveLogFormat(undefined, false)).toBe('json');
    expect(resolveLogFormat('json', true)).toBe('json');
    expect(resolveLogFormat('pretty', false)).toBe('pretty');
  });
});

describe('PinoNestLogger', () => {
  it("writes Nest's module and route list at debug, everything else Nest logs at info", () => {
    const lines: Array<{ level: number; msg: string; context?: string }> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    });
    const nest = new PinoNestLogger(pino({ level: 'info' }, sink));
    nest.log('Mapped {/v1/commands, POST} route', 'RouterExplorer');
    nest.log('CommandsController {/v1}:', 'RoutesResolver');
    nest.log('CommandModule dependencies initialized', 'InstanceLoader');
    nest.log('Nest application successfully started', 'NestApplication');
    expect(lines.map((l) => l.msg)).toEqual(['Nest application successfully started']);
  });
});
