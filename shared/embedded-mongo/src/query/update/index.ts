/**
 * MongoDB update semantics as mongod 7.0 implements them, one module per stage: parsing an
 * operator update (`$set`, `$inc`, ...) into its update tree (parse-update.ts), applying it
 * (apply-update.ts, with each modifier's arithmetic in modifiers.ts), replacement updates
 * (replacement.ts), pipeline-style updates (pipeline-update.ts) and the seed document of an upsert
 * (upsert-seed.ts).
 *
 * Operator updates follow mongod's update tree: every path of every operator is merged into one
 * tree (conflicting paths are rejected while parsing), and the tree is applied with the children
 * of each node in mongod's order (field names lexicographically, array indexes numerically). That
 * order decides where new fields land: they are appended to their object in that order, not in
 * the order the update spells them.
 */
export { applyUpdate } from './apply-update';
export { isOperatorUpdate, validateUpdate } from './parse-update';
export { applyPipelineUpdate } from './pipeline-update';
export { applyReplacement } from './replacement';
export { upsertSeed } from './upsert-seed';
export type { UpdateContext, UpdateOutcome } from './update-context';
