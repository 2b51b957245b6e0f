import {
  BSON_TYPE_NUMBERS,
  bsonTypeName,
  compareValues,
  isNumeric,
  isPlainObject,
  toNumber,
  valuesEqual,
  type BsonTypeName,
  type Document,
} from '../bson/values';
import { ErrorCode, fail } from '../errors';

/**
 * MongoDB's `$jsonSchema` dialect (draft 4 with `bsonType`, without `$ref`, `format`, `default`,
 * `definitions` or the `integer` type), checked on documents in exact form so that `int`, `long`,
 * `double` and `decimal` stay apart. A failing check reports the rules it broke in the shape
 * mongod puts under `errInfo.details.schemaRulesNotSatisfied`. See docs/adr/0007.
 */

/** A compiled schema: the rules `value` breaks (empty when it satisfies the schema). */
export type SchemaCheck = (value: unknown) => Document[];

const UNSUPPORTED_KEYWORDS = new Set(['$ref', '$schema', 'default', 'definitions', 'format', 'id']);

const JSON_TYPES: Readonly<Record<string, readonly BsonTypeName[]>> = {
  object: ['object'],
  array: ['array'],
  number: ['int', 'long', 'double', 'decimal'],
  boolean: ['bool'],
  string: ['string'],
  null: ['null'],
};

function bsonTypesFor(alias: unknown): readonly BsonTypeName[] {
  if (alias === 'number') return JSON_TYPES.number as BsonTypeName[];
  if (typeof alias === 'string' && alias in BSON_TYPE_NUMBERS) return [alias as BsonTypeName];
  return fail(ErrorCode.BadValue, `Unknown type name alias: ${String(alias)}`);
}

function keywordError(keyword: string, requirement: string): never {
  return fail(ErrorCode.TypeMismatch, `$jsonSchema keyword '${keyword}' must be ${requirement}`);
}

function numberArgument(schema: Document, keyword: string): unknown {
  const value = schema[keyword];
  if (!isNumeric(value)) keywordError(keyword, 'a number');
  return value;
}

/** A numeric value (plain number or BSON wrapper) as a JS number. */
const asNumber = (value: unknown): number =>
  typeof value === 'number' ? value : toNumber(value as Parameters<typeof toNumber>[0]);

function countArgument(schema: Document, keyword: string): number {
  const n = asNumber(numberArgument(schema, keyword));
  if (!Number.isInteger(n) || n < 0) {
    fail(
      ErrorCode.FailedToParse,
      `$jsonSchema keyword '${keyword}' must be a non-negative integer`,
    );
  }
  return n;
}

function schemaArgument(value: unknown, keyword: string): Document {
  if (!isPlainObject(value)) keywordError(keyword, 'an object');
  return value;
}

function schemaList(schema: Document, keyword: string): SchemaCheck[] {
  const list = schema[keyword];
  if (!Array.isArray(list) || list.length === 0) keywordError(keyword, 'a non-empty array');
  return list.map((item) => compileJsonSchema(schemaArgument(item, keyword)));
}

const typeOf = (value: unknown): BsonTypeName => bsonTypeName(value);
const isType = (value: unknown, type: BsonTypeName): boolean => typeOf(value) === type;

/**
 * Compiles a `$jsonSchema` document. Throws FailedToParse for keywords MongoDB does not support
 * and TypeMismatch or BadValue for malformed arguments, as mongod does when the validator is set.
 */
export function compileJsonSchema(schema: Document): SchemaCheck {
  if (!isPlainObject(schema)) fail(ErrorCode.TypeMismatch, '$jsonSchema must be an object');
  const rules: SchemaCheck[] = [];
  const keywords = Object.keys(schema);
  for (const keyword of keywords) {
    if (UNSUPPORTED_KEYWORDS.has(keyword))
      fail(ErrorCode.FailedToParse, `$jsonSchema keyword '${keyword}' is not currently supported`);
  }
  if ('type' in schema && 'bsonType' in schema)
    fail(ErrorCode.FailedToParse, "Cannot specify both $jsonSchema keywords 'type' and 'bsonType'");

  for (const keyword of keywords) {
    const argument = schema[keyword];
    switch (keyword) {
      case 'title':
      case 'description':
        if (typeof argument !== 'string') keywordError(keyword, 'a string');
        break;
      case 'type':
      case 'bsonType':
        rules.push(typeRule(keyword, argument));
        break;
      case 'enum': {
        if (!Array.isArray(argument) || argument.length === 0)
          keywordError(keyword, 'a non-empty array');
        rules.push((value) =>
          argument.some((option: unknown) => valuesEqual(option, value))
            ? []
            : [
                {
                  operatorName: 'enum',
                  specifiedAs: { enum: argument },
                  reason: 'value was not found in enum',
                  consideredValue: value,
                },
              ],
        );
        break;
      }
      case 'minimum':
      case 'maximum':
        rules.push(boundRule(schema, keyword));
        break;
      case 'exclusiveMinimum':
      case 'exclusiveMaximum': {
        if (typeof argument !== 'boolean') keywordError(keyword, 'a boolean');
        const bound = keyword === 'exclusiveMinimum' ? 'minimum' : 'maximum';
        if (!(bound in schema))
          fail(
            ErrorCode.FailedToParse,
            `$jsonSchema keyword '${bound}' must be a present if ${keyword} is present`,
          );
        break;
      }
      case 'multipleOf': {
        const divisor = numberArgument(schema, keyword);
        const d = asNumber(divisor);
        if (!(d > 0)) keywordError(keyword, 'a positive number');
        rules.push((value) => {
          if (!isNumeric(value)) return [];
          const quotient = asNumber(value) / d;
          return Number.isInteger(quotient) || Math.abs(quotient - Math.round(quotient)) < 1e-9
            ? []
            : [
                {
                  operatorName: 'multipleOf',
                  specifiedAs: { multipleOf: divisor },
                  reason: 'considered value is not a multiple of the specified value',
                  consideredValue: value,
                },
              ];
        });
        break;
      }
      case 'minLength':
      case 'maxLength': {
        const limit = countArgument(schema, keyword);
        rules.push((value) => {
          if (typeof value !== 'string') return [];
          // Code points, as mongod counts them (not UTF-16 units).
          const length = [...value].length;
          const ok = keyword === 'minLength' ? length >= limit : length <= limit;
          return ok
            ? []
            : [
                {
                  operatorName: keyword,
                  specifiedAs: { [keyword]: argument },
                  reason: 'specified string length was not satisfied',
                  consideredValue: value,
                },
              ];
        });
        break;
      }
      case 'pattern': {
        if (typeof argument !== 'string') keywordError(keyword, 'a string');
        let regex: RegExp;
        try {
          regex = new RegExp(argument, 'u');
        } catch {
          return fail(
            ErrorCode.BadValue,
            `$jsonSchema keyword 'pattern' is not a valid regular expression: ${argument}`,
          );
        }
        rules.push((value) =>
          typeof value !== 'string' || regex.test(value)
            ? []
            : [
                {
                  operatorName: 'pattern',
                  specifiedAs: { pattern: argument },
                  reason: 'regular expression did not match',
                  consideredValue: value,
                },
              ],
        );
        break;
      }
      case 'minItems':
      case 'maxItems': {
        const limit = countArgument(schema, keyword);
        rules.push((value) => {
          if (!Array.isArray(value)) return [];
          const ok = keyword === 'minItems' ? value.length >= limit : value.length <= limit;
          return ok
            ? []
            : [
                {
                  operatorName: keyword,
                  specifiedAs: { [keyword]: argument },
                  reason: 'array did not match specified length',
                  consideredValue: value,
                },
              ];
        });
        break;
      }
      case 'uniqueItems': {
        if (typeof argument !== 'boolean') keywordError(keyword, 'a boolean');
        if (!argument) break;
        rules.push((value) => {
          if (!Array.isArray(value)) return [];
          const duplicate = value.find((item, i) =>
            value.slice(0, i).some((earlier) => valuesEqual(earlier, item)),
          );
          return duplicate === undefined
            ? []
            : [
                {
                  operatorName: 'uniqueItems',
                  specifiedAs: { uniqueItems: true },
                  reason: 'found a duplicate item',
                  consideredValue: value,
                  duplicatedValue: duplicate,
                },
              ];
        });
        break;
      }
      case 'items':
        rules.push(itemsRule(schema));
        break;
      case 'additionalItems':
        if (typeof argument !== 'boolean' && !isPlainObject(argument))
          keywordError(keyword, 'an object or a boolean');
        // Checked with `items` (it only means something beside a list of item schemas).
        break;
      case 'required': {
        if (
          !Array.isArray(argument) ||
          argument.length === 0 ||
          !argument.every((name) => typeof name === 'string')
        ) {
          keywordError(keyword, 'a non-empty array of strings');
        }
        const names = argument as string[];
        rules.push((value) => {
          if (!isType(value, 'object')) return [];
          const missing = names.filter((name) => !Object.hasOwn(value as Document, name));
          return missing.length === 0
            ? []
            : [
                {
                  operatorName: 'required',
                  specifiedAs: { required: names },
                  missingProperties: missing,
                },
              ];
        });
        break;
      }
      case 'properties':
        rules.push(propertiesRule(schemaArgument(argument, keyword)));
        break;
      case 'patternProperties':
      case 'additionalProperties':
        // Checked together: additionalProperties concerns the names neither of them covers.
        break;
      case 'minProperties':
      case 'maxProperties': {
        const limit = countArgument(schema, keyword);
        rules.push((value) => {
          if (!isType(value, 'object')) return [];
          const count = Object.keys(value as Document).length;
          const ok = keyword === 'minProperties' ? count >= limit : count <= limit;
          return ok
            ? []
            : [
                {
                  operatorName: keyword,
                  specifiedAs: { [keyword]: argument },
                  reason: 'specified number of properties was not satisfied',
                  numberOfProperties: count,
                },
              ];
        });
        break;
      }
      case 'dependencies':
        rules.push(dependenciesRule(schemaArgument(argument, keyword)));
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        rules.push(combinationRule(keyword, schemaList(schema, keyword)));
        break;
      case 'not': {
        const inner = compileJsonSchema(schemaArgument(argument, keyword));
        rules.push((value) =>
          inner(value).length > 0
            ? []
            : [
                {
                  operatorName: 'not',
                  specifiedAs: { not: argument },
                  reason: 'child expression matched',
                },
              ],
        );
        break;
      }
      default:
        fail(ErrorCode.FailedToParse, `Unknown $jsonSchema keyword: ${keyword}`);
    }
  }
  if ('additionalProperties' in schema || 'patternProperties' in schema)
    rules.push(additionalPropertiesRule(schema));
  return (value) => rules.flatMap((rule) => rule(value));
}

function typeRule(keyword: 'type' | 'bsonType', argument: unknown): SchemaCheck {
  const aliases = Array.isArray(argument) ? argument : [argument];
  if (aliases.length === 0) keywordError(keyword, 'a string or a non-empty array of strings');
  const allowed = aliases.flatMap((alias: unknown) => {
    if (typeof alias !== 'string') keywordError(keyword, 'a string or an array of strings');
    if (keyword === 'bsonType') return bsonTypesFor(alias);
    if (alias === 'integer')
      fail(ErrorCode.FailedToParse, "$jsonSchema type 'integer' is not currently supported.");
    const types = JSON_TYPES[alias];
    if (!types) fail(ErrorCode.BadValue, `Unknown type name alias: ${alias}`);
    return types;
  });
  return (value) => {
    const type = typeOf(value);
    return allowed.includes(type)
      ? []
      : [
          {
            operatorName: keyword,
            specifiedAs: { [keyword]: argument },
            reason: 'type did not match',
            consideredValue: value,
            consideredType: type,
          },
        ];
  };
}

function boundRule(schema: Document, keyword: 'minimum' | 'maximum'): SchemaCheck {
  const bound = numberArgument(schema, keyword);
  const exclusiveKeyword = keyword === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum';
  const exclusive = schema[exclusiveKeyword] === true;
  const specifiedAs: Document = { [keyword]: bound };
  if (exclusiveKeyword in schema) specifiedAs[exclusiveKeyword] = schema[exclusiveKeyword];
  return (value) => {
    if (!isNumeric(value)) return [];
    const order = compareValues(value, bound) * (keyword === 'minimum' ? 1 : -1);
    return order > 0 || (order === 0 && !exclusive)
      ? []
      : [
          {
            operatorName: keyword,
            specifiedAs,
            reason: 'comparison failed',
            consideredValue: value,
          },
        ];
  };
}

function itemsRule(schema: Document): SchemaCheck {
  const items = schema.items;
  if (isPlainObject(items)) {
    const check = compileJsonSchema(items);
    return (value) => {
      if (!Array.isArray(value)) return [];
      for (const [itemIndex, item] of value.entries()) {
        const details = check(item);
        if (details.length > 0) {
          return [
            {
              operatorName: 'items',
              reason: 'At least one item did not match the sub-schema',
              itemIndex,
              details,
            },
          ];
        }
      }
      return [];
    };
  }
  if (!Array.isArray(items)) keywordError('items', 'an object or an array of objects');
  const checks = items.map((item) => compileJsonSchema(schemaArgument(item, 'items')));
  const additional = schema.additionalItems;
  const additionalCheck = isPlainObject(additional) ? compileJsonSchema(additional) : null;
  return (value) => {
    if (!Array.isArray(value)) return [];
    for (const [itemIndex, check] of checks.entries()) {
      if (itemIndex >= value.length) break;
      const details = check(value[itemIndex]);
      if (details.length > 0) {
        return [
          {
            operatorName: 'items',
            reason: 'At least one item did not match the sub-schema',
            itemIndex,
            details,
          },
        ];
      }
    }
    const extra = value.slice(checks.length);
    if (additional === false && extra.length > 0) {
      return [
        {
          operatorName: 'additionalItems',
          specifiedAs: { additionalItems: false },
          reason: 'found additional items',
          additionalItems: extra,
        },
      ];
    }
    if (additionalCheck) {
      for (const [offset, item] of extra.entries()) {
        const details = additionalCheck(item);
        if (details.length > 0) {
          return [
            {
              operatorName: 'additionalItems',
              reason: 'At least one additional item did not match the sub-schema',
              itemIndex: checks.length + offset,
              details,
            },
          ];
        }
      }
    }
    return [];
  };
}

function propertiesRule(properties: Document): SchemaCheck {
  const checks = Object.entries(properties).map(([name, sub]) => {
    const subSchema = schemaArgument(sub, 'properties');
    return {
      name,
      description: typeof subSchema.description === 'string' ? subSchema.description : undefined,
      check: compileJsonSchema(subSchema),
    };
  });
  return (value) => {
    if (!isType(value, 'object')) return [];
    const doc = value as Document;
    const propertiesNotSatisfied: Document[] = [];
    for (const { name, description, check } of checks) {
      if (!Object.hasOwn(doc, name)) continue;
      const details = check(doc[name]);
      if (details.length > 0) {
        propertiesNotSatisfied.push({
          propertyName: name,
          ...(description !== undefined ? { description } : {}),
          details,
        });
      }
    }
    return propertiesNotSatisfied.length > 0
      ? [{ operatorName: 'properties', propertiesNotSatisfied }]
      : [];
  };
}

function additionalPropertiesRule(schema: Document): SchemaCheck {
  const named = new Set(isPlainObject(schema.properties) ? Object.keys(schema.properties) : []);
  const patterns = Object.entries(
    schema.patternProperties === undefined
      ? {}
      : schemaArgument(schema.patternProperties, 'patternProperties'),
  ).map(([source, sub]) => ({
    source,
    regex: new RegExp(source, 'u'),
    check: compileJsonSchema(schemaArgument(sub, 'patternProperties')),
  }));
  const additional = schema.additionalProperties;
  if (additional !== undefined && typeof additional !== 'boolean' && !isPlainObject(additional))
    keywordError('additionalProperties', 'an object or a boolean');
  const additionalCheck = isPlainObject(additional) ? compileJsonSchema(additional) : null;
  return (value) => {
    if (!isType(value, 'object')) return [];
    const doc = value as Document;
    const failures: Document[] = [];
    const patternFailures: Document[] = [];
    const extra: string[] = [];
    for (const name of Object.keys(doc)) {
      const matching = patterns.filter((pattern) => pattern.regex.test(name));
      for (const pattern of matching) {
        const details = pattern.check(doc[name]);
        if (details.length > 0)
          patternFailures.push({ propertyName: name, regexMatched: pattern.source, details });
      }
      if (!named.has(name) && matching.length === 0) extra.push(name);
    }
    if (patternFailures.length > 0)
      failures.push({ operatorName: 'patternProperties', details: patternFailures });
    if (additional === false && extra.length > 0) {
      failures.push({
        operatorName: 'additionalProperties',
        specifiedAs: { additionalProperties: false },
        additionalProperties: extra,
      });
    } else if (additionalCheck) {
      for (const name of extra) {
        const details = additionalCheck(doc[name]);
        if (details.length > 0) {
          failures.push({
            operatorName: 'additionalProperties',
            reason: 'at least one additional property did not match the subschema',
            failingProperty: name,
            details,
          });
          break;
        }
      }
    }
    return failures;
  };
}

function dependenciesRule(dependencies: Document): SchemaCheck {
  const checks = Object.entries(dependencies).map(([property, dependency]) => {
    if (Array.isArray(dependency)) {
      if (!dependency.every((name) => typeof name === 'string'))
        keywordError('dependencies', 'an object of arrays of strings or schemas');
      return { property, required: dependency as string[], check: null };
    }
    return {
      property,
      required: null,
      check: compileJsonSchema(schemaArgument(dependency, 'dependencies')),
    };
  });
  return (value) => {
    if (!isType(value, 'object')) return [];
    const doc = value as Document;
    const failingDependencies: Document[] = [];
    for (const { property, required, check } of checks) {
      if (!Object.hasOwn(doc, property)) continue;
      if (required) {
        const missingProperties = required.filter((name) => !Object.hasOwn(doc, name));
        if (missingProperties.length > 0)
          failingDependencies.push({ conditionalProperty: property, missingProperties });
      } else if (check) {
        const details = check(doc);
        if (details.length > 0)
          failingDependencies.push({ conditionalProperty: property, details });
      }
    }
    return failingDependencies.length > 0
      ? [{ operatorName: 'dependencies', failingDependencies }]
      : [];
  };
}

function combinationRule(keyword: 'allOf' | 'anyOf' | 'oneOf', checks: SchemaCheck[]): SchemaCheck {
  return (value) => {
    const results = checks.map((check) => check(value));
    const failed = results
      .map((details, index) => ({ index, details }))
      .filter(({ details }) => details.length > 0);
    const matched = results.length - failed.length;
    switch (keyword) {
      case 'allOf':
        return failed.length === 0 ? [] : [{ operatorName: 'allOf', schemasNotSatisfied: failed }];
      case 'anyOf':
        return matched > 0 ? [] : [{ operatorName: 'anyOf', schemasNotSatisfied: failed }];
      case 'oneOf':
        if (matched === 1) return [];
        if (matched === 0) return [{ operatorName: 'oneOf', schemasNotSatisfied: failed }];
        return [
          {
            operatorName: 'oneOf',
            reason: 'more than one subschema matched',
            matchingSchemaIndexes: results
              .map((details, index) => (details.length === 0 ? index : -1))
              .filter((index) => index >= 0),
          },
        ];
      default: {
        const unknown: never = keyword;
        throw new Error(`unknown combination ${String(unknown)}`);
      }
    }
  };
}
