import { BadRequestException, Controller, Get, Post, Query, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { ScepService, type ScepAnswer } from './scep.service';

/**
 * Internal: SCEP as the gateway forwards it (`/scep?operation=...`). PKIOperation comes as a POST
 * body or, from older clients, as a base64 `message` parameter of a GET.
 */
@Controller('internal/scep')
export class ScepController {
  constructor(private readonly scep: ScepService) {}

  @Get()
  async get(@Query('operation') operation: unknown, @Query('message') message: unknown, @Res() res: Response): Promise<void> {
    send(res, await this.dispatch(operation, typeof message === 'string' ? Buffer.from(message, 'base64') : Buffer.alloc(0)));
  }

  @Post()
  async post(@Query('operation') operation: unknown, @Req() req: Request, @Res() res: Response): Promise<void> {
    send(res, await this.dispatch(operation, Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)));
  }

  private dispatch(operation: unknown, message: Buffer): Promise<ScepAnswer> | ScepAnswer {
    switch (operation) {
      case 'GetCACaps':
        return this.scep.capabilities();
      case 'GetCACert':
        return this.scep.caCertificate();
      case 'PKIOperation':
        return this.scep.pkiOperation(message);
      default:
        throw new BadRequestException(`unknown SCEP operation ${JSON.stringify(operation)}: expected GetCACaps, GetCACert or PKIOperation`);
    }
  }
}

function send(res: Response, answer: ScepAnswer): void {
  res.status(200).type(answer.contentType).send(answer.body);
}
