import type { SubgraphContextBase } from '@psa/shared';
import type { NotificationsDomain } from './notifications-domain';
import type { WebhooksDomain } from './webhooks.domain';

/** Per-request context of the notifications subgraph. */
export interface NotificationsContext extends SubgraphContextBase {
  domain: NotificationsDomain;
  webhooks: WebhooksDomain;
}
