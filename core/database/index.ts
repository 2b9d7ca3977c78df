export {
  type Database,
  type DatabaseSettings,
  isDatabaseReachable,
  isDatabaseWritable,
  type MigrationSet,
  migrateToLatest,
  openDatabase,
  type PoolUse,
} from './database.ts';
export { prepareOnServer } from './prepared-statements.ts';
export { rewriteServiceIds } from './service-id-migration.ts';
