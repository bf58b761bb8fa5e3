import { Controller, Get, Header } from '@nestjs/common';
import { DeviceCaService } from './device-ca.service';

/** Internal: the gateway fetches the CA it must trust for device identities. */
@Controller('internal/device-ca')
export class DeviceCaController {
  constructor(private readonly ca: DeviceCaService) {}

  @Get()
  @Header('content-type', 'application/x-pem-file')
  get(): Promise<string> {
    return this.ca.certificatePem();
  }
}
