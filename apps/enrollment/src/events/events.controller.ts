import { Controller, Get, Query } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { z } from 'zod';
import { MoreThan, type FindOptionsWhere, type Repository } from 'typeorm';
import { EVENT_TYPES, type EventType } from '@mdm/contracts';
import { EventEntity } from '@mdm/persistence';
import { parseOr400 } from '@mdm/service-kit';

const EventQuery = z.object({
  udid: z.string().min(1).optional(),
  type: z.enum(EVENT_TYPES as [EventType, ...EventType[]]).optional(),
  /** Cursor: events with a larger sequence number than this one. */
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** The event log, in commit order: what integrations can replay from any point. */
@Controller('v1/events')
export class EventsController {
  constructor(@InjectRepository(EventEntity) private readonly events: Repository<EventEntity>) {}

  @Get()
  async list(@Query() query: unknown): Promise<{ events: Array<{ seq: number; id: string; type: string; occurredAt: string; data: object }>; next: number }> {
    const q = parseOr400(EventQuery, query, 'query');
    const where: FindOptionsWhere<EventEntity> = { id: MoreThan(String(q.after)) };
    if (q.udid) where.udid = q.udid;
    if (q.type) where.type = q.type;
    const rows = await this.events.find({ where, order: { id: 'ASC' }, take: q.limit });
    return {
      events: rows.map((e) => ({ seq: Number(e.id), id: e.eventId, type: e.type, occurredAt: e.occurredAt.toISOString(), data: e.data })),
      next: rows.length ? Number(rows[rows.length - 1]!.id) : q.after,
    };
  }
}
