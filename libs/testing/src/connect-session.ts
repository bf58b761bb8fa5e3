import type { DeviceSimulator } from './device-simulator';

/**
 * One connect session, as a device runs it after a push: an Idle, then every command the server hands over,
 * each answered as iOS would, until the server has nothing more. Resolves to the RequestTypes in order.
 */
export async function connectSession(device: DeviceSimulator): Promise<string[]> {
  const answered: string[] = [];
  let res = await device.idle();
  while (res.command) {
    answered.push(res.command.requestType);
    res = await device.answer(res.command);
  }
  return answered;
}
