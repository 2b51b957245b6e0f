/**
 * The entity map of one unified-format test: driver clients (with their observed command
 * events), databases and collections, created from a file's `createEntities`.
 */
import {
  MongoClient,
  type Collection,
  type CommandFailedEvent,
  type CommandStartedEvent,
  type CommandSucceededEvent,
  type Db,
  type Document,
  type MongoClientOptions,
  type ReadPreferenceLike,
} from 'mongodb';

/** A command monitoring event as the test format names and matches it. */
export interface ObservedEvent {
  type: 'commandStartedEvent' | 'commandSucceededEvent' | 'commandFailedEvent';
  commandName: string;
  databaseName: string;
  command?: Document;
  reply?: Document;
}

export interface ClientEntity {
  kind: 'client';
  client: MongoClient;
  events: ObservedEvent[];
}

type Entity =
  | ClientEntity
  | { kind: 'database'; db: Db }
  | { kind: 'collection'; collection: Collection<Document> }
  | { kind: 'value'; value: unknown };

// Commands whose events are never observed (the Command Logging and Monitoring spec's
// sensitive commands, and the fail point command of the failPoint operation).
const IGNORED_COMMANDS = new Set([
  'authenticate',
  'saslStart',
  'saslContinue',
  'getnonce',
  'createUser',
  'updateUser',
  'copydbgetnonce',
  'copydbsaslstart',
  'copydb',
  'configureFailPoint',
]);

function isSensitiveHello(
  event: CommandStartedEvent | CommandSucceededEvent | CommandFailedEvent,
): boolean {
  const name = event.commandName.toLowerCase();
  if (name !== 'hello' && name !== 'ismaster') return false;
  return (
    !('command' in event) ||
    Object.keys(event.command).length === 0 ||
    'speculativeAuthenticate' in event.command
  );
}

/** Options of a database or collection entity: read/write concern and read preference. */
function handleOptions(options: Document | undefined): Document {
  if (!options) return {};
  const { readConcern, writeConcern, readPreference, ...rest } = options;
  if (Object.keys(rest).length > 0) {
    throw new Error(`unsupported collection or database options: ${Object.keys(rest).join(', ')}`);
  }
  const out: Document = {};
  if (readConcern) out.readConcern = readConcern;
  if (writeConcern) out.writeConcern = writeConcern;
  if (readPreference) {
    const { mode, tagSets, maxStalenessSeconds, hedge } = readPreference as Document;
    out.readPreference = { mode, tags: tagSets, maxStalenessSeconds, hedge } as ReadPreferenceLike;
  }
  return out;
}

/** The entities of one test; {@link EntityMap.close} closes every client it created. */
export class EntityMap {
  private readonly entities = new Map<string, Entity>();

  constructor(private readonly uri: string) {}

  private add(id: string, entity: Entity): void {
    if (this.entities.has(id)) throw new Error(`entity '${id}' is defined twice`);
    this.entities.set(id, entity);
  }

  private get(id: string): Entity {
    const entity = this.entities.get(id);
    if (!entity) throw new Error(`no entity named '${id}'`);
    return entity;
  }

  /** Creates the entities of a `createEntities` list, in order. */
  async create(definitions: Document[]): Promise<void> {
    for (const definition of definitions) {
      const [type, spec] = Object.entries(definition)[0] as [string, Document];
      switch (type) {
        case 'client':
          this.add(spec.id, await this.createClient(spec));
          break;
        case 'database': {
          const { client } = this.client(spec.client);
          const db = client.db(spec.databaseName, handleOptions(spec.databaseOptions));
          this.add(spec.id, { kind: 'database', db });
          break;
        }
        case 'collection': {
          const db = this.database(spec.database);
          const options = handleOptions(spec.collectionOptions);
          this.add(spec.id, {
            kind: 'collection',
            collection: db.collection(spec.collectionName, options),
          });
          break;
        }
        default:
          throw new Error(`the runner does not create '${type}' entities`);
      }
    }
  }

  private async createClient(spec: Document): Promise<ClientEntity> {
    const observed = new Set<string>(spec.observeEvents ?? []);
    const ignored = new Set<string>([
      ...IGNORED_COMMANDS,
      ...(spec.ignoreCommandMonitoringEvents ?? []),
    ]);
    const options: MongoClientOptions = {
      serverSelectionTimeoutMS: 5000,
      // The CRUD specification has drivers keep an explicit `_id: null`; the Node.js driver
      // replaces a null `_id` with an ObjectId unless the server generates missing ones.
      forceServerObjectId: true,
      ...(spec.uriOptions as MongoClientOptions | undefined),
      monitorCommands: observed.size > 0,
    };
    const client = new MongoClient(this.uri, options);
    const entity: ClientEntity = { kind: 'client', client, events: [] };
    const record =
      (type: ObservedEvent['type']) =>
      (event: CommandStartedEvent | CommandSucceededEvent | CommandFailedEvent): void => {
        if (!observed.has(type) || ignored.has(event.commandName) || isSensitiveHello(event))
          return;
        entity.events.push({
          type,
          commandName: event.commandName,
          databaseName: event.databaseName,
          ...('command' in event ? { command: event.command } : {}),
          ...('reply' in event ? { reply: event.reply as Document } : {}),
        });
      };
    client.on('commandStarted', record('commandStartedEvent'));
    client.on('commandSucceeded', record('commandSucceededEvent'));
    client.on('commandFailed', record('commandFailedEvent'));
    await client.connect();
    return entity;
  }

  client(id: string): ClientEntity {
    const entity = this.get(id);
    if (entity.kind !== 'client') throw new Error(`entity '${id}' is not a client`);
    return entity;
  }

  database(id: string): Db {
    const entity = this.get(id);
    if (entity.kind !== 'database') throw new Error(`entity '${id}' is not a database`);
    return entity.db;
  }

  collection(id: string): Collection<Document> {
    const entity = this.get(id);
    if (entity.kind !== 'collection') throw new Error(`entity '${id}' is not a collection`);
    return entity.collection;
  }

  /** What kind of entity `id` is (to dispatch an operation on it). */
  kindOf(id: string): Entity['kind'] {
    return this.get(id).kind;
  }

  /** Saves an operation's result (`saveResultAsEntity`). */
  saveValue(id: string, value: unknown): void {
    this.add(id, { kind: 'value', value });
  }

  /** A saved result, for `$$matchesEntity`. */
  value(id: string): unknown {
    const entity = this.get(id);
    if (entity.kind !== 'value') throw new Error(`entity '${id}' is not a saved value`);
    return entity.value;
  }

  /** Every client entity, to stop observing and to close. */
  clients(): ClientEntity[] {
    return [...this.entities.values()].filter(
      (entity): entity is ClientEntity => entity.kind === 'client',
    );
  }

  /** Closes every client (events recorded after this point are not the test's). */
  async close(): Promise<void> {
    for (const entity of this.clients()) {
      entity.client.removeAllListeners();
      await entity.client.close();
    }
  }
}
