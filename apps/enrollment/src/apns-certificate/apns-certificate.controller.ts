import { Body, Controller, Get, Put } from '@nestjs/common';
import { PutApnsCertificateRequest } from '@mdm/contracts';
import { parseOr400 } from '@mdm/service-kit';
import { ApnsCertificateService, type ApnsCertificateView } from './apns-certificate.service';

@Controller('v1/apns/certificate')
export class ApnsCertificateController {
  constructor(private readonly service: ApnsCertificateService) {}

  @Put()
  async put(@Body() body: unknown): Promise<{ topic: string; notAfter: string }> {
    const req = parseOr400(PutApnsCertificateRequest, body);
    const saved = await this.service.upload(req.certificate, req.privateKey);
    return { topic: saved.topic, notAfter: saved.notAfter };
  }

  @Get()
  async list(): Promise<{ certificates: ApnsCertificateView[] }> {
    return { certificates: await this.service.list() };
  }
}
