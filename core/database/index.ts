export {
  type Database,
  type DatabaseSettings,
  isDatabaseReachable,
  type MigrationSet,
  migrateToLatest,
  openDatabase,
} from './database.ts';
export { rewriteServiceIds } from './service-id-migration.ts';
