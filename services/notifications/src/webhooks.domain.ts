import { Pulse, type Job } from '@pulsecron/pulse';
import {
  BadUserInputError,
  isDuplicateKeyError,
  isWebhookEvent,
  WEBHOOK_EVENTS,
  NotFoundError,
  paginate,
  requiredId,
  type Connection,
  type ConnectionArgs,
  type Logger,
} from '@psa/shared';
import { Types } from 'mongoose';
import { checkWebhookUrl, type AddressPolicy } from './webhooks.address-guard';
import type { Outgoing } from './webhooks.events';
import type {
  WebhookDeliveryModel,
  WebhookDeliveryRecord,
  WebhookModel,
  WebhookRecord,
} from './models/webhook.model';
import { sendDelivery, type AttemptResult } from './webhooks.sender';
import { pulseInterval } from './pulse-interval';
import { newWebhookSecret } from './webhooks.signature';

/** Every delivery is tried at most this often (the first attempt and 7 retries). */
export const MAX_ATTEMPTS = 8;
const DELIVERY_JOB = 'webhook-delivery';
/** At most this many webhooks; each event fans out to every one subscribed. */
const MAX_WEBHOOKS = 100;

interface DeliveryJobData {
  deliveryId: string;
  webhookId: string;
}

export interface WebhooksOptions {
  webhooks: WebhookModel;
  deliveries: WebhookDeliveryModel;
  policy: AddressPolicy;
  /** The service's MongoDB URL with its database: the jobs live in its `webhook_jobs` collection. */
  jobsDatabaseUrl: string;
  /** How often due retries are looked for (WEBHOOK_POLL_MS). */
  pollMs: number;
  /** The first retry's delay; each next one doubles it (WEBHOOK_RETRY_DELAY_MS). */
  retryDelayMs: number;
  /** How long a receiver has to answer (10 s). */
  timeoutMs?: number;
  logger: Logger;
}

/**
 * Webhooks: the admin's subscriptions, and their deliveries as Pulse jobs (the job library the
 * reminders use) in the service's MongoDB. Pulse locks a job for one process at a time, so with
 * several replicas an attempt runs once; it retries a failed job with exponential backoff
 * (`retryDelayMs`, doubling), and the delivery record counts the attempts and keeps the last
 * outcome. A delivery is keyed by webhook and domain event, so a redelivered event sends nothing
 * twice.
 */
export class WebhooksDomain {
  private readonly pulse: Pulse;

  constructor(private readonly options: WebhooksOptions) {
    this.pulse = new Pulse({
      name: `webhooks-${process.pid}`,
      db: { address: options.jobsDatabaseUrl, collection: 'webhook_jobs' },
      processEvery: pulseInterval(options.pollMs),
      defaultLockLifetime: 60_000,
      resumeOnRestart: false,
    });
    this.pulse.define<DeliveryJobData>(DELIVERY_JOB, (job: Job<DeliveryJobData>) => this.run(job), {
      concurrency: 10,
      // Longer than an attempt can take (10 s), so a running attempt is not taken by another replica.
      lockLifetime: 60_000,
      // Pulse counts retries: the first attempt and MAX_ATTEMPTS - 1 more.
      attempts: MAX_ATTEMPTS - 1,
      backoff: { type: 'exponential', delay: options.retryDelayMs },
    });
    this.pulse.on('error', (error: unknown) =>
      options.logger.warn({ err: error }, 'webhook scheduler error'),
    );
  }

  async start(): Promise<void> {
    await this.pulse.start();
  }

  async stop(): Promise<void> {
    await this.pulse.stop().catch(() => undefined);
    await this.pulse.close({ force: true }).catch(() => undefined);
  }

  /** Creates a webhook (the caller is an admin: the resolver checks); its secret is answered once. */
  async create(
    input: { url: string; events: readonly string[] },
    createdById: Types.ObjectId,
  ): Promise<{ webhook: WebhookRecord; secret: string }> {
    const url = checkWebhookUrl(input.url, this.options.policy, 'input.url');
    const events = [...new Set(input.events.map((name) => name.trim()))];
    if (events.length === 0) {
      throw new BadUserInputError('events must name at least one event', 'input.events');
    }
    const unknown = events.filter((name) => !isWebhookEvent(name));
    if (unknown.length) {
      throw new BadUserInputError(
        `unknown event(s): ${unknown.join(', ')}; events are ${WEBHOOK_EVENTS.join(', ')}`,
        'input.events',
      );
    }
    if ((await this.options.webhooks.countDocuments()) >= MAX_WEBHOOKS) {
      throw new BadUserInputError(`at most ${MAX_WEBHOOKS} webhooks`, 'input.url');
    }
    const secret = newWebhookSecret();
    const created = await this.options.webhooks.create({
      url: url.toString(),
      events,
      secret,
      active: true,
      createdById,
    });
    return { webhook: created.toObject<WebhookRecord>(), secret };
  }

  list(args: ConnectionArgs): Promise<Connection<WebhookRecord>> {
    return paginate(this.options.webhooks, {}, args);
  }

  /** Deletes a webhook and its deliveries; pending retries find it gone and stop. */
  async delete(rawId: string): Promise<boolean> {
    const id = requiredId(rawId, 'id');
    const deleted = await this.options.webhooks.findByIdAndDelete(id).lean().exec();
    if (!deleted) throw new NotFoundError('Webhook not found');
    await this.options.deliveries.deleteMany({ webhookId: id }).exec();
    await this.pulse.cancel({ name: DELIVERY_JOB, 'data.webhookId': id.toHexString() });
    return true;
  }

  deliveriesOf(
    webhook: WebhookRecord,
    args: ConnectionArgs,
  ): Promise<Connection<WebhookDeliveryRecord>> {
    return paginate(this.options.deliveries, { webhookId: webhook._id }, args);
  }

  /**
   * Records a delivery of `outgoing` for every active webhook subscribed to it, and schedules its
   * first attempt. The body is fixed here: `{id, event, createdAt, data}`, the same on every attempt.
   */
  async enqueue(eventId: string, outgoing: Outgoing, occurredAt: Date): Promise<void> {
    const webhooks = await this.options.webhooks
      .find({ active: true, events: outgoing.event })
      .select({ _id: 1 })
      .lean<Pick<WebhookRecord, '_id'>[]>()
      .exec();
    for (const webhook of webhooks) {
      const _id = new Types.ObjectId();
      const body = JSON.stringify({
        id: _id.toHexString(),
        event: outgoing.event,
        createdAt: occurredAt.toISOString(),
        data: outgoing.data,
      });
      try {
        await this.options.deliveries.create({
          _id,
          webhookId: webhook._id,
          eventId,
          event: outgoing.event,
          body,
        });
      } catch (error) {
        // Heard before: that delivery is recorded and scheduled already.
        if (isDuplicateKeyError(error)) continue;
        throw error;
      }
      await this.pulse
        .create(DELIVERY_JOB, {
          deliveryId: _id.toHexString(),
          webhookId: webhook._id.toHexString(),
        })
        .unique({ 'data.deliveryId': _id.toHexString() }, { insertOnly: true })
        .schedule(new Date())
        .save();
    }
  }

  /**
   * One attempt: send, record the outcome, and throw on a failure that has attempts left so that
   * Pulse schedules the next one.
   */
  private async run(job: Job<DeliveryJobData>): Promise<void> {
    const { deliveries, webhooks, policy, logger } = this.options;
    const delivery = await deliveries
      .findById(job.attrs.data.deliveryId)
      .lean<WebhookDeliveryRecord>()
      .exec();
    const webhook = delivery
      ? await webhooks.findById(delivery.webhookId).lean<WebhookRecord>().exec()
      : null;
    if (!delivery || !webhook || delivery.status !== 'PENDING') {
      await job.remove();
      return;
    }
    const result: AttemptResult = await sendDelivery(
      {
        url: webhook.url,
        secret: webhook.secret,
        deliveryId: delivery._id.toHexString(),
        event: delivery.event,
        body: delivery.body,
      },
      policy,
      { timeoutMs: this.options.timeoutMs },
    );
    const attempts = delivery.attempts + 1;
    const status = result.ok ? 'DELIVERED' : attempts >= MAX_ATTEMPTS ? 'FAILED' : 'PENDING';
    await deliveries
      .updateOne(
        { _id: delivery._id },
        {
          $set: {
            status,
            attempts,
            responseStatus: result.status,
            lastError: result.error,
            lastAttemptAt: new Date(),
          },
        },
      )
      .exec();
    if (status === 'PENDING') {
      logger.info(
        {
          webhookId: webhook._id.toHexString(),
          deliveryId: delivery._id.toHexString(),
          attempts,
          responseStatus: result.status,
          error: result.error,
        },
        'webhook delivery failed; retrying',
      );
      throw new Error(result.error ?? `the receiver answered ${result.status}`);
    }
    if (status === 'FAILED') {
      logger.warn(
        { webhookId: webhook._id.toHexString(), deliveryId: delivery._id.toHexString(), attempts },
        'webhook delivery failed for good',
      );
    }
    await job.remove();
  }
}
