import { z } from 'zod';
import { offsetListQuery, WEBHOOK_DELIVERY_STATUSES, WebhookEventPattern, type WebhookDeliveryStatus } from '@mdm/contracts';

/** `status=dead,retrying`: one or more delivery statuses. */
const Statuses = z.string().transform((raw, ctx) => {
  const items = [...new Set(raw.split(',').map((s) => s.trim()))];
  const wrong = items.filter((s) => !(WEBHOOK_DELIVERY_STATUSES as readonly string[]).includes(s));
  if (wrong.length) {
    ctx.addIssue({ code: 'custom', message: `unknown status ${wrong.join(', ') || '""'}; one or more of ${WEBHOOK_DELIVERY_STATUSES.join(', ')}` });
    return z.NEVER;
  }
  return items as WebhookDeliveryStatus[];
});

/** `type=command.*,device.enrolled`: event types or prefixes, as in a webhook's `events`. */
const Types = z.string().transform((raw, ctx) => {
  const items = [...new Set(raw.split(',').map((s) => s.trim()))];
  for (const item of items) {
    const parsed = WebhookEventPattern.safeParse(item);
    if (!parsed.success) ctx.addIssue({ code: 'custom', message: parsed.error.issues[0]?.message ?? `bad type ${item}` });
  }
  return items;
});

/** `GET /v1/webhooks/{id}/deliveries`: newest first unless asked otherwise. */
export const DeliveryListQuery = offsetListQuery({
  sort: ['createdAt'],
  defaultSort: 'createdAt',
  defaultOrder: 'desc',
  filters: { status: Statuses.optional(), type: Types.optional() },
});
export type DeliveryListQuery = z.infer<typeof DeliveryListQuery>;
