import type { ApolloServerPlugin } from '@apollo/server';
import {
  collectDefaultMetrics,
  Counter,
  Histogram,
  Registry,
  type CounterConfiguration,
  type GaugeConfiguration,
  Gauge,
} from 'prom-client';
import type { RequestContextBase, Route } from '../http/graphql-server';

const MAX_OPERATION_LABELS = 200;

/** Request latency buckets, seconds: from sub-millisecond reads to the subgraph timeout. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One process's (or, in the single-process dev stack, one service's) Prometheus metrics, in a
 * registry of its own with `service` as a default label, served at `/metrics`: GraphQL requests
 * by operation and outcome, domain events published, handled and dead-lettered, and Node runtime metrics.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  /** GraphQL requests: `operation` (the operation name, or `anonymous`), `outcome` (`ok` or the first error code). */
  readonly requests: Histogram<'operation' | 'outcome'>;
  readonly eventsPublished: Counter<'type'>;
  /** Domain events handled by this service: `outcome` `ok` or `failed` (to be delivered again). */
  readonly eventsHandled: Counter<'type' | 'outcome'>;
  /** Domain events this service gave up on after its last attempt (kept as dead letters to replay). */
  readonly eventsDeadLettered: Counter<'type'>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry, prefix: 'psa_' });
    this.requests = new Histogram({
      name: 'psa_graphql_request_duration_seconds',
      help: 'GraphQL requests, by operation name and outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
    this.eventsPublished = this.counter({
      name: 'psa_events_published_total',
      help: 'Domain events published, by type.',
      labelNames: ['type'],
    });
    this.eventsHandled = this.counter({
      name: 'psa_events_handled_total',
      help: 'Domain events handled, by type and outcome.',
      labelNames: ['type', 'outcome'],
    });
    this.eventsDeadLettered = this.counter({
      name: 'psa_events_dead_lettered_total',
      help: 'Domain events set aside as dead letters after every attempt failed, by type.',
      labelNames: ['type'],
    });
  }

  counter<L extends string>(config: Omit<CounterConfiguration<L>, 'registers'>): Counter<L> {
    return new Counter({ ...config, registers: [this.registry] });
  }

  histogram<L extends string>(name: string, help: string, labelNames: readonly L[]): Histogram<L> {
    return new Histogram({
      name,
      help,
      labelNames,
      buckets: LATENCY_BUCKETS,
      registers: [this.registry],
    });
  }

  gauge<L extends string>(config: Omit<GaugeConfiguration<L>, 'registers'>): Gauge<L> {
    return new Gauge({ ...config, registers: [this.registry] });
  }

  /** `GET /metrics` in the Prometheus text format. */
  route(): Route {
    return (_req, res) => {
      this.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': this.registry.contentType });
          res.end(text);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(error));
        },
      );
    };
  }

  /** An Apollo plugin timing every request into {@link requests}. */
  plugin<TContext extends RequestContextBase>(): ApolloServerPlugin<TContext> {
    const requests = this.requests;
    // Operation names come from clients: only well-formed ones, and at most this many, get a label.
    const known = new Set<string>();
    const label = (name: string | null | undefined): string => {
      if (!name) return 'anonymous';
      if (known.has(name)) return name;
      if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) || known.size >= MAX_OPERATION_LABELS) {
        return 'other';
      }
      known.add(name);
      return name;
    };
    return {
      async requestDidStart() {
        const stop = requests.startTimer();
        return {
          async willSendResponse({ operationName, errors, response }) {
            const code =
              errors?.[0]?.extensions?.code ??
              (response.body.kind === 'single'
                ? response.body.singleResult.errors?.[0]?.extensions?.code
                : undefined);
            stop({
              operation: label(operationName),
              outcome: typeof code === 'string' ? code : 'ok',
            });
          },
        };
      },
    };
  }
}
